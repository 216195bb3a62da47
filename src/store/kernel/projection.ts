/**
 * The logical view of stored records. A pending promise past its timeout is already settled for
 * every reader, whether or not a tick has written that down yet; its task is already fulfilled.
 */
import type { PromiseRecord, PromiseState, Tags, TaskRecord } from "../../protocol/records.js";
import { TAG } from "../../protocol/tags.js";

/** What a promise becomes at its timeout: a timer resolves, anything else times out. */
export function timeoutState(tags: Tags): PromiseState {
  return tags[TAG.timer] === "true" ? "resolved" : "rejected_timedout";
}

export function isTimedOut(promise: PromiseRecord, now: number): boolean {
  return promise.state === "pending" && now >= promise.timeoutAt;
}

export function projectPromise(promise: PromiseRecord, now: number): PromiseRecord {
  if (!isTimedOut(promise, now)) return promise;
  return { ...promise, state: timeoutState(promise.tags), settledAt: promise.timeoutAt };
}

export function projectTask(task: TaskRecord, promise: PromiseRecord | undefined, now: number): TaskRecord {
  if (!promise || task.state === "fulfilled" || projectPromise(promise, now).state === "pending") return task;
  return { id: task.id, state: "fulfilled", version: task.version, resumes: task.resumes };
}

/** Whether a promise may have listeners: only promises that something outside a task settles. */
export function isAwaitable(promise: PromiseRecord): boolean {
  const { tags } = promise;
  return (
    tags[TAG.scope] === "global" ||
    tags[TAG.external] === "true" ||
    tags[TAG.target] !== undefined ||
    tags[TAG.timer] === "true"
  );
}
