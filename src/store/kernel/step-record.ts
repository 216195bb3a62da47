/**
 * The commonest write of all, decided without waiting: a worker holding its task records a step
 * that ran in its process (a fenced `promise.create` carrying its result), creating a promise
 * that does not exist yet. On a backend that answers by id at once (SQLite: `Tx.syncRows`), the
 * rules of that one case run here to the end in one synchronous call; every other case (a replay
 * of a record already made, a lease lost, a timeout to write down, a promise that starts an
 * execution or finishes one, a task in backoff) answers `undefined`, and the
 * request takes the general transition (tasks.ts `fenceTask`), which decides it the same way.
 * What this saves is the general path's promise per read and write, not a rule. Whether the
 * step's id is taken is found by its insert (`insertNewPromise`), not by reading it first: the
 * batch does not read such ids ahead (`isStepRecord`, named-rows.ts), and a taken id writes
 * nothing and takes the general path, which reads it.
 */
import { isExecutionRoot } from "../../protocol/calls.js";
import { STATUS, type Request, type TaskFenceReq } from "../../protocol/requests.js";
import { TAG } from "../../protocol/tags.js";
import type { SyncRows } from "../backend.js";
import type { KernelContext } from "./context.js";
import { ok, toResponse, type Outcome } from "./outcome.js";
import { isTimedOut } from "./projection.js";
import { newPromise } from "./promises.js";

/**
 * Whether `req` records a step that ran, with its result: a fenced `promise.create` carrying a
 * result and creating no task. (A key matters only against an existing record, a deadline already
 * past only to newPromise.)
 */
export function isStepRecord(req: Request): req is TaskFenceReq {
  if (req.kind !== "task.fence" || req.data.action.kind !== "promise.create") return false;
  const data = req.data.action.data;
  return data.result !== undefined && data.tags?.[TAG.target] === undefined;
}

export function recordStepAtOnce(ctx: KernelContext, rows: SyncRows, req: TaskFenceReq): Outcome<"task.fence"> | undefined {
  const { id: taskId, version, action } = req.data;
  if (!isStepRecord(req) || action.kind !== "promise.create") return undefined;
  const data = action.data;
  const taskPromise = rows.getPromise(taskId);
  if (taskPromise === undefined || taskPromise.state !== "pending" || isTimedOut(taskPromise, ctx.now)) return undefined;
  const task = rows.getTask(taskId);
  if (task === undefined || task.state !== "acquired" || task.version !== version || task.releases) return undefined;
  const promise = newPromise(ctx, data);
  if (isExecutionRoot(promise)) return undefined;
  // Last: a taken id (a replay's repeat of its record) writes nothing here.
  if (!rows.insertNewPromise(promise)) return undefined;
  return ok({ action: toResponse(action.kind, action.head, { status: STATUS.ok, data: { promise } }), preload: [] });
}
