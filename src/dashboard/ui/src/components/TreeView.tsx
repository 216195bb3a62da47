/** The call tree: one row per durable promise, details (values, error, settle form) on click. */
import { useState } from "preact/hooks";
import type { ExecutionNode } from "../../../api-types.js";
import { explainNotAwaited, whyNotAwaited } from "../../../../tree/not-awaited.js";
import { formatDuration, formatTime, fullTime } from "../format.js";
import { SettleForm } from "./SettleForm.js";
import { StateBadge } from "./StateBadge.js";
import { ValueBlock } from "./ValueBlock.js";

interface TreeProps {
  root: ExecutionNode;
  now: number;
  onChanged: () => void;
}

export function TreeView({ root, now, onChanged }: TreeProps) {
  return (
    <ul class="tree">
      <NodeItem node={root} now={now} onChanged={onChanged} />
    </ul>
  );
}

function NodeItem({ node, now, onChanged }: { node: ExecutionNode; now: number; onChanged: () => void }) {
  const awaitsSomeone = node.state === "pending" && node.kind === "promise";
  const [open, setOpen] = useState(awaitsSomeone || node.error !== undefined);
  return (
    <li class="node" data-id={node.id} data-state={node.state} data-kind={node.kind ?? ""} data-not-awaited={node.notAwaited?.reason ?? ""}>
      <button type="button" class="row" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span class={`kind kind-${node.kind ?? "unknown"}`}>{node.kind ?? "?"}</span>
        <span class="func mono">{node.func !== node.kind ? (node.func ?? "") : ""}</span>
        <span class="id mono muted">{node.id}</span>
        <StateBadge state={node.state} />
        {node.attempts !== undefined && node.attempts > 1 && <span class="attempts">{node.attempts} attempts</span>}
        {node.notAwaited && (
          <span class="not-awaited" title={explainNotAwaited(node.notAwaited)}>
            not awaited
          </span>
        )}
        <span class="timing" title={node.notAwaited && explainNotAwaited(node.notAwaited)}>
          {timing(node, now)}
        </span>
      </button>
      {open && <NodeDetails node={node} now={now} onChanged={onChanged} />}
      {node.children.length > 0 && (
        <ul>
          {node.children.map((child) => (
            <NodeItem key={child.id} node={child} now={now} onChanged={onChanged} />
          ))}
        </ul>
      )}
    </li>
  );
}

function NodeDetails({ node, now, onChanged }: { node: ExecutionNode; now: number; onChanged: () => void }) {
  return (
    <div class="details">
      <dl class="times">
        <dt>Created</dt>
        <dd title={fullTime(node.createdAt)}>{formatTime(node.createdAt, now)}</dd>
        {node.settledAt !== undefined && (
          <>
            <dt>Settled</dt>
            <dd title={fullTime(node.settledAt)}>{formatTime(node.settledAt, now)}</dd>
          </>
        )}
        <dt>{node.kind === "sleep" ? "Wakes" : "Times out"}</dt>
        <dd title={fullTime(node.timeoutAt)}>{formatTime(node.timeoutAt, now)}</dd>
        {node.attempts !== undefined && (
          <>
            <dt>Attempts</dt>
            <dd>{node.attempts}</dd>
          </>
        )}
      </dl>
      {node.param && <ValueBlock label={node.kind === "promise" ? "Data" : "Arguments"} promiseId={node.id} field="param" shown={node.param} />}
      {node.error && (
        <div class="error-block">
          <strong>
            {node.error.name}: {node.error.message}
          </strong>
          {node.error.cause && <div>caused by {node.error.cause}</div>}
          {node.error.stack && <pre class="stack">{node.error.stack}</pre>}
        </div>
      )}
      {node.value && !node.error && <ValueBlock label={node.state === "resolved" ? "Result" : "Value"} promiseId={node.id} field="value" shown={node.value} />}
      {node.state === "pending" && node.kind === "promise" && <SettleForm id={node.id} onSettled={onChanged} />}
    </div>
  );
}

function timing(node: ExecutionNode, now: number): string {
  if (node.settledAt !== undefined) return `took ${formatDuration(node.settledAt - node.createdAt)}`;
  if (node.state !== "pending") return "";
  // Nothing waits for it: a countdown would read as if the execution did.
  if (node.notAwaited) return whyNotAwaited(node.notAwaited);
  if (node.kind === "sleep") return now < node.timeoutAt ? `wakes in ${formatDuration(node.timeoutAt - now)}` : "waking";
  const running = `running ${formatDuration(now - node.createdAt)}`;
  return now < node.timeoutAt ? `${running} · times out in ${formatDuration(node.timeoutAt - now)}` : `${running} · timing out`;
}
