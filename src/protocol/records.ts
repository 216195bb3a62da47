/** Records of the Resonate durable-promise protocol (0.11), as they travel on the wire. */

export const PROMISE_STATES = ["pending", "resolved", "rejected", "rejected_canceled", "rejected_timedout"] as const;
export type PromiseState = (typeof PROMISE_STATES)[number];
export type SettleState = "resolved" | "rejected" | "rejected_canceled";

export const TASK_STATES = ["pending", "acquired", "suspended", "halted", "fulfilled"] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** A payload: headers plus data. Our SDK puts base64-encoded JSON in `data`, as @resonatehq/sdk does. */
export interface Value {
  headers?: Record<string, string>;
  data?: string;
}

/**
 * The value as a store keeps it: its headers and data only. The validator accepts unknown fields
 * (as the reference server does) and does not copy the request, so the store drops them here and
 * every backend reads back the same record.
 */
export function storedValue(value: Value | undefined): Value {
  if (value === undefined) return {};
  const stored: Value = {};
  if (value.headers !== undefined) stored.headers = value.headers;
  if (value.data !== undefined) stored.data = value.data;
  return stored;
}

export type Tags = Record<string, string>;

export interface PromiseRecord {
  id: string;
  state: PromiseState;
  param: Value;
  value: Value;
  tags: Tags;
  timeoutAt: number;
  createdAt: number;
  settledAt?: number;
  /** Reprise extension: present only when the creator supplied one. */
  idempotencyKeyForCreate?: string;
  /** Reprise extension: present only when the completer supplied one. */
  idempotencyKeyForComplete?: string;
}

export interface TaskRecord {
  id: string;
  state: TaskState;
  version: number;
  resumes: string[];
  ttl?: number;
  pid?: string;
  /** Reprise extension: when the lease (acquired) or the re-delivery (pending) runs out. */
  expiresAt?: number;
  /**
   * Reprise extension: releases since the task last made progress (absent when none). From the
   * second, re-delivery backs off (kernel/task-states.ts `redeliveryDelay`): a worker whose writes
   * are refused cannot spin on the task.
   */
  releases?: number;
  /**
   * Reprise extension, in `task.search` answers only: a pending task held back by flow control
   * (docs/flow-control.md), which only room in its function's limits dispatches; sweeps skip it.
   */
  queued?: true;
}

export interface ScheduleRecord {
  id: string;
  cron: string;
  promiseId: string;
  promiseTimeout: number;
  promiseParam: Value;
  promiseTags: Tags;
  createdAt: number;
  nextRunAt: number;
  lastRunAt?: number;
}

/**
 * Reprise extension (flow control): the limits a worker declares for one of its functions. The
 * store enforces them when a task of the function is acquired (docs/flow-control.md). Executions
 * that carry a flow key (`reprise:flow`) are counted per key; the others share the key "".
 */
export interface FunctionLimits {
  func: string;
  /** At most this many executions of the function (per key) hold a task at once. */
  concurrency?: number;
  /** At most `limit` executions of the function (per key) start in any `periodMs`. */
  rateLimit?: { limit: number; periodMs: number };
  /** Priority of its executions that name none: among queued ones, higher starts first. Default 0. */
  priority?: number;
}

/** A stored declaration: who declared the limits of `group`'s function, and when. */
export interface FlowDeclaration extends FunctionLimits {
  group: string;
  pid: string;
  declaredAt: number;
}

/** What flow control holds for one function: its limits, and its executions running and queued. */
export interface FlowStat {
  group: string;
  func: string;
  /** Absent when no worker declared limits (executions created while they were declared still count). */
  limits?: FunctionLimits;
  /** Executions holding a slot now (acquired tasks). */
  running: number;
  /** Executions waiting for a slot or for the rate window. */
  queued: number;
  /** Distinct flow keys with a state row. */
  keys: number;
}

export function isSettled(state: PromiseState): boolean {
  return state !== "pending";
}
