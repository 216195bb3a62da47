/** Conversions between SQLite rows and protocol records. JSON columns are TEXT. */
import type { PromiseRecord, PromiseState, ScheduleRecord, TaskRecord, TaskState } from "../../protocol/records.js";

export interface PromiseRow {
  id: string;
  state: PromiseState;
  param: string;
  value: string;
  tags: string;
  timeout_at: number;
  created_at: number;
  settled_at: number | null;
  idempotency_key_for_create: string | null;
  idempotency_key_for_complete: string | null;
}

export interface TaskRow {
  id: string;
  state: TaskState;
  version: number;
  resumes: string;
  ttl: number | null;
  pid: string | null;
  expires_at: number | null;
  releases: number;
}

export interface ScheduleRow {
  id: string;
  cron: string;
  promise_id: string;
  promise_timeout: number;
  promise_param: string;
  promise_tags: string;
  created_at: number;
  next_run_at: number;
  last_run_at: number | null;
}

export function promiseFromRow(row: PromiseRow): PromiseRecord {
  const promise: PromiseRecord = {
    id: row.id,
    state: row.state,
    param: JSON.parse(row.param) as PromiseRecord["param"],
    value: JSON.parse(row.value) as PromiseRecord["value"],
    tags: JSON.parse(row.tags) as PromiseRecord["tags"],
    timeoutAt: row.timeout_at,
    createdAt: row.created_at,
  };
  if (row.settled_at !== null) promise.settledAt = row.settled_at;
  if (row.idempotency_key_for_create !== null) promise.idempotencyKeyForCreate = row.idempotency_key_for_create;
  if (row.idempotency_key_for_complete !== null) promise.idempotencyKeyForComplete = row.idempotency_key_for_complete;
  return promise;
}

/** The promise columns a read by id names, in the order promiseFromValues takes them. */
export const PROMISE_COLUMNS = "id, state, param, value, tags, timeout_at, created_at, settled_at, idempotency_key_for_create, idempotency_key_for_complete";

/** A promise from the column values of PROMISE_COLUMNS (a raw statement's row). */
export function promiseFromValues(values: unknown[]): PromiseRecord {
  const [id, state, param, value, tags, timeout_at, created_at, settled_at, idempotency_key_for_create, idempotency_key_for_complete] = values as PromiseRowValues;
  return promiseFromRow({ id, state, param, value, tags, timeout_at, created_at, settled_at, idempotency_key_for_create, idempotency_key_for_complete });
}

type PromiseRowValues = [string, PromiseState, string, string, string, number, number, number | null, string | null, string | null];

export function taskFromRow(row: TaskRow): TaskRecord {
  const task: TaskRecord = { id: row.id, state: row.state, version: row.version, resumes: JSON.parse(row.resumes) as string[] };
  if (row.ttl !== null) task.ttl = row.ttl;
  if (row.pid !== null) task.pid = row.pid;
  if (row.expires_at !== null) task.expiresAt = row.expires_at;
  if (row.releases > 0) task.releases = row.releases;
  return task;
}

/** The task columns a read by id names, in the order taskFromValues takes them. */
export const TASK_COLUMNS = "id, state, version, resumes, ttl, pid, expires_at, releases";

/** A task from the column values of TASK_COLUMNS (a raw statement's row). */
export function taskFromValues(values: unknown[]): TaskRecord {
  const [id, state, version, resumes, ttl, pid, expires_at, releases] = values as [string, TaskState, number, string, number | null, string | null, number | null, number];
  return taskFromRow({ id, state, version, resumes, ttl, pid, expires_at, releases });
}

export function taskToRow(task: TaskRecord): TaskRow {
  return {
    id: task.id,
    state: task.state,
    version: task.version,
    resumes: JSON.stringify(task.resumes),
    ttl: task.ttl ?? null,
    pid: task.pid ?? null,
    expires_at: task.expiresAt ?? null,
    releases: task.releases ?? 0,
  };
}

export function scheduleFromRow(row: ScheduleRow): ScheduleRecord {
  const schedule: ScheduleRecord = {
    id: row.id,
    cron: row.cron,
    promiseId: row.promise_id,
    promiseTimeout: row.promise_timeout,
    promiseParam: JSON.parse(row.promise_param) as ScheduleRecord["promiseParam"],
    promiseTags: JSON.parse(row.promise_tags) as ScheduleRecord["promiseTags"],
    createdAt: row.created_at,
    nextRunAt: row.next_run_at,
  };
  if (row.last_run_at !== null) schedule.lastRunAt = row.last_run_at;
  return schedule;
}

export function scheduleToRow(schedule: ScheduleRecord): ScheduleRow {
  return {
    id: schedule.id,
    cron: schedule.cron,
    promise_id: schedule.promiseId,
    promise_timeout: schedule.promiseTimeout,
    promise_param: JSON.stringify(schedule.promiseParam),
    promise_tags: JSON.stringify(schedule.promiseTags),
    created_at: schedule.createdAt,
    next_run_at: schedule.nextRunAt,
    last_run_at: schedule.lastRunAt ?? null,
  };
}
