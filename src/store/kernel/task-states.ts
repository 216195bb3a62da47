/**
 * The shape of a task in each state, built in one place so every transition produces the same
 * record: `pid` and `ttl` only while acquired, `expiresAt` only while something is due
 * (re-delivery when pending, lease end when acquired).
 */
import type { TaskRecord } from "../../protocol/records.js";

type TaskBase = Pick<TaskRecord, "id" | "version" | "resumes">;

export function pendingTask(task: TaskBase, expiresAt: number): TaskRecord {
  return { id: task.id, state: "pending", version: task.version, resumes: task.resumes, expiresAt };
}

export function acquiredTask(task: TaskBase, pid: string, ttl: number, now: number): TaskRecord {
  return { id: task.id, state: "acquired", version: task.version, resumes: [], ttl, pid, expiresAt: now + ttl };
}

export function suspendedTask(task: TaskBase): TaskRecord {
  return { id: task.id, state: "suspended", version: task.version, resumes: [] };
}

export function haltedTask(task: TaskBase): TaskRecord {
  return { id: task.id, state: "halted", version: task.version, resumes: task.resumes };
}

export function fulfilledTask(task: TaskBase): TaskRecord {
  return { id: task.id, state: "fulfilled", version: task.version, resumes: [] };
}

/** The same task with `promiseId` noted as settled while it was not waiting. */
export function withResume(task: TaskRecord, promiseId: string): TaskRecord {
  return task.resumes.includes(promiseId) ? task : { ...task, resumes: [...task.resumes, promiseId] };
}
