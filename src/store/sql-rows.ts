/**
 * A promise's column values, and the rows of flow control (kernel/flow.ts) and of retention
 * (kernel/retention.ts), as the SQL backends store them: the same columns in SQLite and PostgreSQL, read back into records here once. An integer column comes back as a number from
 * SQLite and as a string from `pg` (bigint may exceed 2^53; ours hold epoch ms and sequence
 * numbers), so each goes through Number().
 */
import type { PromiseRecord } from "../protocol/records.js";
import type { FinishedRoot, FlowCounts, FlowRow, QueuedTask } from "./backend.js";

/**
 * A promise's column values as both backends bind them, in the order of their `PROMISE_COLUMNS`
 * (id, state, param, value, tags, timeout_at, created_at, settled_at, the two idempotency keys).
 * An array, not a row object: every step writes one.
 */
export function promiseColumnValues(promise: PromiseRecord): unknown[] {
  return [
    promise.id,
    promise.state,
    JSON.stringify(promise.param),
    JSON.stringify(promise.value),
    tagsText(promise.tags),
    promise.timeoutAt,
    promise.createdAt,
    promise.settledAt ?? null,
    promise.idempotencyKeyForCreate ?? null,
    promise.idempotencyKeyForComplete ?? null,
  ];
}

/** The JSON of frozen tags objects: the SDK gives the steps of an execution one such object (sdk/task-effects.ts). */
const frozenTagsText = new WeakMap<object, string>();

function tagsText(tags: PromiseRecord["tags"]): string {
  if (!Object.isFrozen(tags)) return JSON.stringify(tags);
  let text = frozenTagsText.get(tags);
  if (text === undefined) frozenTagsText.set(tags, (text = JSON.stringify(tags)));
  return text;
}

type Int8 = number | string;

/** A row of `flow_rows`. */
export interface RowOfFlow {
  id: string;
  grp: string;
  func: string;
  key: string;
  running: number;
  starts: string;
  wake_at: Int8 | null;
}

/** A row of `flow_queue`. */
export interface RowOfQueue {
  seq: Int8;
  task_id: string;
  flow_id: string;
  grp: string;
  func: string;
  priority: number;
  created_at: Int8;
  version: number;
  address: string;
}

/** A row of the per-function counts query. */
export interface RowOfCounts {
  grp: string;
  func: string;
  running: number;
  queued: number;
  keys: number;
}

export function flowRowFrom(row: RowOfFlow): FlowRow {
  const flow: FlowRow = { id: row.id, group: row.grp, func: row.func, key: row.key, running: row.running, starts: JSON.parse(row.starts) as number[] };
  if (row.wake_at !== null) flow.wakeAt = Number(row.wake_at);
  return flow;
}

export function queuedFrom(row: RowOfQueue): QueuedTask {
  return {
    taskId: row.task_id,
    flowId: row.flow_id,
    group: row.grp,
    func: row.func,
    priority: row.priority,
    createdAt: Number(row.created_at),
    version: row.version,
    address: row.address,
    seq: Number(row.seq),
  };
}

export function countsFrom(row: RowOfCounts): FlowCounts {
  return { group: row.grp, func: row.func, running: row.running, queued: row.queued, keys: row.keys };
}

/** A row of `finished_roots`. */
export interface FinishedRow {
  id: string;
  settled_at: Int8;
  purge_at: Int8 | null;
}

export function finishedFromRow(row: FinishedRow): FinishedRoot {
  const root: FinishedRoot = { id: row.id, settledAt: Number(row.settled_at) };
  if (row.purge_at !== null) root.purgeAt = Number(row.purge_at);
  return root;
}
