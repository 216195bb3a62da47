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

export function isSettled(state: PromiseState): boolean {
  return state !== "pending";
}
