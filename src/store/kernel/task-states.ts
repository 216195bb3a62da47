/**
 * The shape of a task in each state, built in one place so every transition produces the same
 * record: `pid` and `ttl` only while acquired, `expiresAt` only while something is due
 * (re-delivery when pending, lease end when acquired), `releases` only while counting (pending,
 * acquired, halted): suspending or fulfilling a task is progress and starts the count again.
 */
import type { TaskRecord } from "../../protocol/records.js";

type TaskBase = Pick<TaskRecord, "id" | "version" | "resumes" | "releases">;

/** First delay of a task released a second time without progress; it doubles per release. */
export const REDELIVERY_BACKOFF_BASE_MS = 1_000;
/** Longest delay between re-deliveries of a task that keeps being released. */
export const REDELIVERY_BACKOFF_CAP_MS = 5 * 60_000;

/**
 * How long a task released for the `releases`-th time since its last progress waits before it is
 * sent again: none for the first (a worker shutting down hands it on at once), then 1 s, 2 s, 4 s…
 * up to 5 min.
 */
export function redeliveryDelay(releases: number): number {
  if (releases <= 1) return 0;
  return Math.min(REDELIVERY_BACKOFF_BASE_MS * 2 ** Math.min(releases - 2, 30), REDELIVERY_BACKOFF_CAP_MS);
}

/** True while a task's re-delivery is being held back (what /metrics counts). */
export function inBackoff(task: Pick<TaskRecord, "state" | "releases">): boolean {
  return task.state === "pending" && redeliveryDelay(task.releases ?? 0) > 0;
}

function counted(task: TaskBase): Pick<TaskRecord, "releases"> {
  return task.releases ? { releases: task.releases } : {};
}

export function pendingTask(task: TaskBase, expiresAt: number): TaskRecord {
  return { id: task.id, state: "pending", version: task.version, resumes: task.resumes, expiresAt, ...counted(task) };
}

/**
 * Pending, held back by flow control (kernel/flow.ts): no re-delivery time of its own, since only
 * room in its flow dispatches it. A pending task without `expiresAt` is queued.
 */
export function queuedTask(task: TaskBase): TaskRecord {
  return { id: task.id, state: "pending", version: task.version, resumes: task.resumes, ...counted(task) };
}

/** Whether a pending task waits in a flow-control queue (see `queuedTask`). */
export function isQueued(task: Pick<TaskRecord, "state" | "expiresAt">): boolean {
  return task.state === "pending" && task.expiresAt === undefined;
}

export function acquiredTask(task: TaskBase, pid: string, ttl: number, now: number): TaskRecord {
  return { id: task.id, state: "acquired", version: task.version, resumes: [], ttl, pid, expiresAt: now + ttl, ...counted(task) };
}

export function suspendedTask(task: TaskBase): TaskRecord {
  return { id: task.id, state: "suspended", version: task.version, resumes: [] };
}

export function haltedTask(task: TaskBase): TaskRecord {
  return { id: task.id, state: "halted", version: task.version, resumes: task.resumes, ...counted(task) };
}

export function fulfilledTask(task: TaskBase): TaskRecord {
  return { id: task.id, state: "fulfilled", version: task.version, resumes: [] };
}

/** The same task with `promiseId` noted as settled while it was not waiting. */
export function withResume(task: TaskRecord, promiseId: string): TaskRecord {
  return task.resumes.includes(promiseId) ? task : { ...task, resumes: [...task.resumes, promiseId] };
}
