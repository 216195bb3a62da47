/**
 * The one-line summary the executions list shows for each execution (which promises are
 * executions is protocol/calls.ts's `isExecutionRoot`). Pure: works on records, whatever store they came from.
 */
import type { PromiseRecord } from "../protocol/records.js";
import { funcOf } from "../tree/build-tree.js";
import type { ExecutionSummary } from "./api-types.js";

export { isExecutionRoot } from "../protocol/calls.js";

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
