/**
 * The commonest write of all, decided without waiting: a worker holding its task records a step
 * that ran in its process (a fenced `promise.create` carrying its result), creating a promise
 * that does not exist yet. On a backend that answers by id at once (SQLite: `Tx.syncRows`), the
 * rules of that one case run here to the end in one synchronous call; every other case (a replay
 * of a record already made, a lease lost, a timeout to write down, a promise that starts an
 * execution or finishes one, a task in backoff) answers `undefined`, and the
 * request takes the general transition (tasks.ts `fenceTask`), which decides it the same way.
 * What this saves is the general path's promise per read and write, not a rule.
 */
import { isExecutionRoot } from "../../protocol/calls.js";
import type { PromiseRecord } from "../../protocol/records.js";
import type { StepWrite } from "../../protocol/step-record.js";
import { TAG } from "../../protocol/tags.js";
import type { SyncRows } from "../backend.js";
import type { KernelContext } from "./context.js";
import { isTimedOut } from "./projection.js";
import { newPromise } from "./promises.js";

/**
 * Records the step's create (with its result) for the holder of its task at its version, and
 * answers the record made; undefined, having written nothing, for every other case.
 */
export function recordStepAtOnce(ctx: KernelContext, rows: SyncRows, { taskId, version, create }: StepWrite): PromiseRecord | undefined {
  // Only a result, and no task to create. (A key matters only against an existing record, a
  // deadline already past only to newPromise.)
  if (create.result === undefined || create.tags?.[TAG.target] !== undefined) return undefined;
  const taskPromise = rows.getPromise(taskId);
  if (taskPromise === undefined || taskPromise.state !== "pending" || isTimedOut(taskPromise, ctx.now)) return undefined;
  const task = rows.getTask(taskId);
  if (task === undefined || task.state !== "acquired" || task.version !== version || task.releases) return undefined;
  const promise = newPromise(ctx, create);
  // Last: the insert is what finds a record already made (a replay's repeat), and writes nothing then.
  if (isExecutionRoot(promise) || !rows.insertNewPromise(promise)) return undefined;
  return promise;
}
