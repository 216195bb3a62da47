/** Conversions between table rows and protocol records. The only place that knows column names. */
import type { PromiseRecord, PromiseState, ScheduleRecord, Tags, TaskRecord, TaskState, Value } from "../../protocol/records.js";

/** `pg` returns bigint columns as strings (they may exceed 2^53); ours hold epoch ms and ttls. */
type Int8 = string;

export interface PromiseRow {
  id: string;
  state: PromiseState;
  param: string;
  value: string;
  tags: string;
  timeout_at: Int8;
  created_at: Int8;
  settled_at: Int8 | null;
  idempotency_key_for_create: string | null;
  idempotency_key_for_complete: string | null;
}

export interface TaskRow {
  id: string;
  state: TaskState;
  version: number;
  resumes: string[];
  ttl: Int8 | null;
  pid: string | null;
  expires_at: Int8 | null;
  releases: number;
}

export interface ScheduleRow {
  id: string;
  cron: string;
  promise_id: string;
  promise_timeout: Int8;
  promise_param: string;
  promise_tags: string;
  created_at: Int8;
  next_run_at: Int8;
  last_run_at: Int8 | null;
}

export const PROMISE_COLUMNS =
  "id, state, param, value, tags, timeout_at, created_at, settled_at, idempotency_key_for_create, idempotency_key_for_complete";
export const TASK_COLUMNS = "id, state, version, resumes, ttl, pid, expires_at, releases";
export const SCHEDULE_COLUMNS =
  "id, cron, promise_id, promise_timeout, promise_param, promise_tags, created_at, next_run_at, last_run_at";

export function promiseFromRow(row: PromiseRow): PromiseRecord {
  const promise: PromiseRecord = {
    id: row.id,
    state: row.state,
    param: JSON.parse(row.param) as Value,
    value: JSON.parse(row.value) as Value,
    tags: JSON.parse(row.tags) as Tags,
    timeoutAt: Number(row.timeout_at),
    createdAt: Number(row.created_at),
  };
  if (row.settled_at !== null) promise.settledAt = Number(row.settled_at);
  if (row.idempotency_key_for_create !== null) promise.idempotencyKeyForCreate = row.idempotency_key_for_create;
  if (row.idempotency_key_for_complete !== null) promise.idempotencyKeyForComplete = row.idempotency_key_for_complete;
  return promise;
}

export function taskFromRow(row: TaskRow): TaskRecord {
  const task: TaskRecord = { id: row.id, state: row.state, version: row.version, resumes: row.resumes };
  if (row.ttl !== null) task.ttl = Number(row.ttl);
  if (row.pid !== null) task.pid = row.pid;
  if (row.expires_at !== null) task.expiresAt = Number(row.expires_at);
  if (row.releases > 0) task.releases = row.releases;
  return task;
}

/** Parameters $1..$8 in TASK_COLUMNS order. */
export function taskParams(task: TaskRecord): unknown[] {
  return [task.id, task.state, task.version, task.resumes, task.ttl ?? null, task.pid ?? null, task.expiresAt ?? null, task.releases ?? 0];
}

export function scheduleFromRow(row: ScheduleRow): ScheduleRecord {
  const schedule: ScheduleRecord = {
    id: row.id,
    cron: row.cron,
    promiseId: row.promise_id,
    promiseTimeout: Number(row.promise_timeout),
    promiseParam: JSON.parse(row.promise_param) as Value,
    promiseTags: JSON.parse(row.promise_tags) as Tags,
    createdAt: Number(row.created_at),
    nextRunAt: Number(row.next_run_at),
  };
  if (row.last_run_at !== null) schedule.lastRunAt = Number(row.last_run_at);
  return schedule;
}

/** Parameters $1..$9 in SCHEDULE_COLUMNS order. */
export function scheduleParams(schedule: ScheduleRecord): unknown[] {
  return [
    schedule.id,
    schedule.cron,
    schedule.promiseId,
    schedule.promiseTimeout,
    JSON.stringify(schedule.promiseParam),
    JSON.stringify(schedule.promiseTags),
    schedule.createdAt,
    schedule.nextRunAt,
    schedule.lastRunAt ?? null,
  ];
}
