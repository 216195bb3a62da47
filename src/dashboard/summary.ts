/**
 * Which promises are executions, and the one-line summary the executions list shows for each.
 * Pure: works on records, whatever store they came from.
 */
import type { PromiseRecord } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import { funcOf } from "../tree/build-tree.js";
import type { ExecutionSummary } from "./api-types.js";

/**
 * True for the root promise of an execution: Reprise tags it `reprise:kind=root`; a promise made
 * by another SDK counts when it has a target, global scope, and is its own origin (or has none).
 * A Reprise rpc child also has a target, but it belongs to its caller's tree, not to the list.
 */
export function isExecutionRoot(record: Pick<PromiseRecord, "id" | "tags">): boolean {
  const kind = record.tags[TAG.kind];
  if (kind !== undefined) return kind === "root";
  if (record.tags[TAG.target] === undefined || record.tags[TAG.scope] !== "global") return false;
  const origin = record.tags[TAG.origin];
  return origin === undefined || origin === record.id;
}

export function summarizeExecution(record: PromiseRecord): ExecutionSummary {
  const summary: ExecutionSummary = {
    id: record.id,
    state: record.state,
    createdAt: record.createdAt,
    timeoutAt: record.timeoutAt,
    tags: record.tags,
  };
  const func = funcOf(record);
  if (func !== undefined) summary.func = func;
  if (record.settledAt !== undefined) {
    summary.settledAt = record.settledAt;
    summary.durationMs = Math.max(0, record.settledAt - record.createdAt);
  }
  return summary;
}
