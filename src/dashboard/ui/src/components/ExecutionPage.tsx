/** One execution: its summary and its call tree, polled until nothing is left to change. */
import type { ExecutionDetail } from "../../../api-types.js";
import { getJson } from "../api.js";
import { describePickups } from "../../../../tree/pickups.js";
import { formatDuration, formatTime, fullTime, relative } from "../format.js";
import { syncClock, useNow, usePolling } from "../hooks.js";
import { CancelExecution } from "./CancelExecution.js";
import { StateBadge } from "./StateBadge.js";
import { TreeView } from "./TreeView.js";

const REFRESH_MS = 1000;

/** Why "taken over" is a lower bound: the store keeps the task's version, not a record per attempt. */
const RUNS_EXPLAINED =
  "How many times a process acquired this execution's task (its version). Each wait (a sleep, a promise, a remote call) may end in one; " +
  "acquires beyond those were take-overs: a lease that ran out, or a dead process's task taken over.";

const RETENTION_EXPLAINED =
  "when the retention of this finished execution runs out, it is deleted with its steps and children; its id then starts a new execution (docs/retention.md)";
const RETENTION_FOREVER = "its retention is 0: it stays until `reprise purge` deletes it (docs/retention.md)";

export function ExecutionPage({ id }: { id: string }) {
  const { data, error, reload } = usePolling(
    async () => {
      const detail = await getJson<ExecutionDetail>(`/api/executions/${encodeURIComponent(id)}`);
      syncClock(detail.now);
      return detail;
    },
    REFRESH_MS,
    id,
  );
  const now = useNow(500);
  const root = data?.execution;

  return (
    <section>
      <p>
        <a href="#/executions">← executions</a>
      </p>
      <h1 class="mono">{id}</h1>
      {error && <p class="error-text">{error}</p>}
      {root && (
        <>
          <dl class="summary">
            <dt>Function</dt>
            <dd class="mono">{root.func ?? "—"}</dd>
            <dt>State</dt>
            <dd class="execution-state">
              <StateBadge state={root.state} />
            </dd>
            <dt>Started</dt>
            <dd title={fullTime(root.createdAt)}>{formatTime(root.createdAt, now)}</dd>
            <dt>{root.settledAt !== undefined ? "Took" : "Running for"}</dt>
            <dd>{formatDuration((root.settledAt ?? now) - root.createdAt)}</dd>
            {data.purgeAt !== undefined && (
              <>
                <dt>Deleted</dt>
                <dd class="execution-purge" title={data.purgeAt === null ? RETENTION_FOREVER : `${fullTime(data.purgeAt)}: ${RETENTION_EXPLAINED}`}>
                  {data.purgeAt === null ? "never (kept until purged by hand)" : relative(data.purgeAt, now)}
                </dd>
              </>
            )}
            {data.task && (
              <>
                <dt>Runs</dt>
                <dd class="execution-runs" data-taken-over={data.task.takenOver} title={RUNS_EXPLAINED}>
                  {describePickups(data.task)}
                </dd>
                {data.task.state === "acquired" && data.task.pid !== undefined && (
                  <>
                    <dt>Held by</dt>
                    <dd class="mono">
                      {data.task.pid}
                      {data.task.expiresAt !== undefined && <span class="muted"> · lease {relative(data.task.expiresAt, now)}</span>}
                    </dd>
                  </>
                )}
              </>
            )}
          </dl>
          {data.refusedWrite && (
            <p class="warning refused-write" data-field={data.refusedWrite.field} title={fullTime(data.refusedWrite.at)}>
              The server refused a write of this execution ({data.refusedWrite.kind}, {formatTime(data.refusedWrite.at, now)}): {data.refusedWrite.message}.
              Its worker retries with backoff; raise the limit named, or change what the step returns.
            </p>
          )}
          {root.state === "pending" && <CancelExecution id={id} onRequested={reload} />}
          {data.truncated && <p class="warning">This execution has more promises than the dashboard loads; the tree is incomplete.</p>}
          <TreeView root={root} now={now} onChanged={reload} />
        </>
      )}
    </section>
  );
}
