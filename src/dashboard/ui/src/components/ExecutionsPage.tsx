/** Executions: the root promises, filtered by state / function / id prefix / tag, paged, polled. */
import { useState } from "preact/hooks";
import type { ExecutionPage, FlowPage } from "../../../api-types.js";
import { getJson, withQuery } from "../api.js";
import { formatDuration, formatTime, fullTime } from "../format.js";
import { syncClock, useNow, usePolling } from "../hooks.js";
import { executionHref, executionsHref } from "../route.js";
import { StateBadge } from "./StateBadge.js";

const FILTERS = ["state", "func", "idPrefix", "tag"] as const;
const STATES = ["pending", "resolved", "rejected", "rejected_canceled", "rejected_timedout"];
const REFRESH_MS = 2000;

export function ExecutionsPage({ query }: { query: URLSearchParams }) {
  const key = query.toString();
  const { data, error } = usePolling(
    async () => {
      const page = await getJson<ExecutionPage>(withQuery("/api/executions", Object.fromEntries(query)));
      syncClock(page.now);
      return page;
    },
    REFRESH_MS,
    key,
  );
  const now = useNow();

  return (
    <section>
      <h1>Executions</h1>
      <FlowSummary />
      <Filters key={key} query={query} />
      {error && <p class="error-text">{error}</p>}
      <table class="list executions">
        <thead>
          <tr>
            <th>Id</th>
            <th>Function</th>
            <th>State</th>
            <th>Started</th>
            <th>Settled</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {data?.executions.map((execution) => (
            <tr key={execution.id} data-id={execution.id}>
              <td>
                <a href={executionHref(execution.id)} class="mono">
                  {execution.id}
                </a>
              </td>
              <td class="mono">{execution.func ?? "—"}</td>
              <td>
                <StateBadge state={execution.state} />
              </td>
              <td title={fullTime(execution.createdAt)}>{formatTime(execution.createdAt, now)}</td>
              <td title={fullTime(execution.settledAt)}>{formatTime(execution.settledAt, now)}</td>
              <td>{execution.durationMs !== undefined ? formatDuration(execution.durationMs) : <span class="muted">running {formatDuration(now - execution.createdAt)}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.executions.length === 0 && <p class="muted empty">No executions match.</p>}
      <Pager query={query} cursor={data?.cursor} />
    </section>
  );
}

/**
 * Flow control (docs/flow-control.md): per limited function, its limits and how many executions
 * run and wait for room. Queued ones are pending executions: the link lists them.
 */
function FlowSummary() {
  const { data } = usePolling(() => getJson<FlowPage>("/api/flow"), REFRESH_MS, "flow");
  if (!data || data.flows.length === 0) return null;
  return (
    <table class="list flow">
      <caption>Flow control</caption>
      <thead>
        <tr>
          <th>Function</th>
          <th>Limits</th>
          <th>Running</th>
          <th>Queued</th>
        </tr>
      </thead>
      <tbody>
        {data.flows.map((flow) => (
          <tr key={`${flow.group}/${flow.func}`} data-func={flow.func}>
            <td class="mono">
              {flow.func} <span class="muted">({flow.group})</span>
            </td>
            <td>{describeLimits(flow)}</td>
            <td>{flow.running}</td>
            <td>
              {flow.queued > 0 ? <a href={executionsHref(new URLSearchParams({ func: flow.func, state: "pending" }))}>{flow.queued} queued</a> : "0"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function describeLimits(flow: FlowPage["flows"][number]): string {
  const parts: string[] = [];
  if (flow.limits?.concurrency !== undefined) parts.push(`${flow.limits.concurrency} at once`);
  if (flow.limits?.rateLimit !== undefined) parts.push(`${flow.limits.rateLimit.limit} per ${formatDuration(flow.limits.rateLimit.periodMs)}`);
  if (flow.limits?.priority !== undefined) parts.push(`priority ${flow.limits.priority}`);
  if (flow.keys > 1) parts.push(`${flow.keys} keys`);
  return parts.length === 0 ? "none declared" : parts.join(", ");
}

function Filters({ query }: { query: URLSearchParams }) {
  const [values, setValues] = useState(() => Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? ""])));
  const apply = (next: Record<string, string>) => {
    const params = new URLSearchParams();
    for (const name of FILTERS) if (next[name]) params.set(name, next[name]!);
    location.hash = executionsHref(params);
  };
  const set = (name: string) => (event: Event) => setValues({ ...values, [name]: (event.currentTarget as HTMLInputElement).value });
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        apply(values);
      }}
    >
      <select
        name="state"
        value={values.state}
        onChange={(event) => {
          const next = { ...values, state: (event.currentTarget as HTMLSelectElement).value };
          setValues(next);
          apply(next);
        }}
      >
        <option value="">any state</option>
        {STATES.map((state) => (
          <option value={state}>{state}</option>
        ))}
      </select>
      <input name="func" placeholder="function" value={values.func} onInput={set("func")} />
      <input name="idPrefix" placeholder="id prefix" value={values.idPrefix} onInput={set("idPrefix")} />
      <input name="tag" placeholder="tag key=value" value={values.tag} onInput={set("tag")} />
      <button type="submit">Filter</button>
    </form>
  );
}

function Pager({ query, cursor }: { query: URLSearchParams; cursor?: string }) {
  const first = new URLSearchParams(query);
  first.delete("cursor");
  const next = new URLSearchParams(query);
  if (cursor) next.set("cursor", cursor);
  return (
    <nav class="pager">
      {query.has("cursor") && <a href={executionsHref(first)}>← first page</a>}
      {cursor && <a href={executionsHref(next)}>next page →</a>}
    </nav>
  );
}
