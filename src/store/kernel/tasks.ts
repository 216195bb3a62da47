/**
 * Transitions of tasks: who executes a promise with a target, and under which version. A worker
 * holds a task while it is acquired at the version it was given; any later version (re-delivery
 * after a lost lease) makes its release, suspend, fulfill and fence fail.
 *
 * Flow control (flow.ts): acquiring a flow-controlled task also takes a slot in its function's
 * state row, locked after the task's promise and the task (the order every transition locks in);
 * release, suspend, halt and fulfilment give it back in the same transaction, a take-over keeps it.
 */
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";
import {
  STATUS,
  type TaskAcquireReq,
  type TaskContinueReq,
  type TaskCreateReq,
  type TaskFenceReq,
  type TaskFulfillReq,
  type TaskGetReq,
  type TaskHaltReq,
  type TaskHeartbeatReq,
  type TaskReleaseReq,
  type TaskSearchReq,
  type TaskSuspendReq,
  type Acquired,
} from "../../protocol/requests.js";
import { cancelRequestId, TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { fail, ok, toResponse, type ErrorStatus, type Outcome } from "./outcome.js";
import { preload, sizedPreload } from "./preload.js";
import { createPromise, newPromise, settle } from "./promises.js";
import { projectPromise, projectTask } from "./projection.js";
import { fetchPage } from "./search.js";
import { noteFinished } from "./retention.js";
import { convergeTimeout, settlePromise } from "./settlement.js";
import { admit, leaveFlow, releaseSlot } from "./flow.js";
import { flowTagged } from "./flow-requests.js";
import { acquiredTask, fulfilledTask, haltedTask, isQueued, pendingTask, queuedTask, redeliveryDelay, suspendedTask } from "./task-states.js";

/** Lease length for a heartbeat on a task acquired without a ttl. */
const DEFAULT_TTL = 30_000;

/** Converges a timeout of the task's promise first, as `promise.get` does. */
export async function getTask(ctx: KernelContext, req: TaskGetReq): Promise<Outcome<"task.get">> {
  await convergeTimeout(ctx, req.data.id);
  const task = await ctx.tx.getTask(req.data.id);
  if (!task) return fail(STATUS.notFound, "Task not found");
  return ok({ task });
}

/** Creates a promise together with its task, acquired by the caller (or acquires a pending one). */
export async function createTask(ctx: KernelContext, req: TaskCreateReq): Promise<Outcome<"task.create">> {
  const { pid, ttl } = req.data;
  const action = req.data.action.data;
  await convergeTimeout(ctx, action.id);
  const existing = await ctx.tx.getTask(action.id);
  if (existing) {
    const promise = await requirePromise(ctx, existing.id);
    if (existing.state === "pending") {
      // Held back by flow control: the caller gets the task pending, as for a promise it did not start.
      if (!(await admit(ctx, existing, promise)).admitted) return ok({ task: await queue(ctx, existing), promise, preload: [] });
      const task = acquiredTask({ ...existing, version: existing.version + 1 }, pid, ttl, ctx.now);
      await ctx.tx.putTask(task);
      return ok({ task, promise, ...(await preload(ctx, promise)) });
    }
    if (existing.state === "fulfilled") return ok({ task: existing, promise, ...(await preload(ctx, promise)) });
    return fail(STATUS.conflict, "Task already exists");
  }
  const existingPromise = await ctx.tx.getPromise(action.id);
  if (existingPromise) {
    if (!existingPromise.tags[TAG.target]) return fail(STATUS.unprocessable, "Promise has no address");
    return fail(STATUS.conflict, "Promise already exists");
  }
  const promise = newPromise(ctx, await flowTagged(ctx, action));
  await ctx.tx.insertPromise(promise);
  const blank = { id: promise.id, version: 0, resumes: [] };
  if (promise.state !== "pending") {
    await noteFinished(ctx, promise);
    const task = fulfilledTask(blank);
    await ctx.tx.putTask(task);
    return ok({ task, promise, preload: [] });
  }
  if (!(await admit(ctx, { ...blank, state: "pending" }, promise)).admitted) {
    return ok({ task: await queue(ctx, { ...blank, state: "pending" }), promise, preload: [] });
  }
  const task = acquiredTask({ ...blank, version: 1 }, pid, ttl, ctx.now);
  await ctx.tx.putTask(task);
  return ok({ task, promise, ...(await preload(ctx, promise)) });
}

export async function acquireTask(ctx: KernelContext, req: TaskAcquireReq): Promise<Outcome<"task.acquire">> {
  const acquired = await acquiring(ctx, req.data);
  return "answer" in acquired ? ok(acquired.answer) : acquired;
}

/** `task.acquire`'s transition, with about how many bytes its preload takes (a take-over bounds its answer by them). */
export async function acquiring(
  ctx: KernelContext,
  data: TaskAcquireReq["data"],
): Promise<{ answer: Acquired; bytes: number } | { status: ErrorStatus; data: string }> {
  await convergeTimeout(ctx, data.id);
  const task = await ctx.tx.getTask(data.id);
  if (!task) return fail(STATUS.notFound, "Task not found");
  // A take-over (Reprise extension) names the dead holder; it applies to that holder's task only.
  const takeOver = data.holder !== undefined;
  if (takeOver && (task.state !== "acquired" || task.pid !== data.holder)) return fail(STATUS.conflict, "Task not acquired by that holder");
  if (!takeOver && task.state !== "pending") return fail(STATUS.conflict, "Task not in pending state");
  const promise = await requirePromise(ctx, task.id);
  if (promise.state !== "pending") return fail(STATUS.conflict, "Task logically fulfilled");
  if (task.version !== data.version) return fail(STATUS.conflict, "Version mismatch");
  // A take-over keeps the dead holder's slot; any other acquisition must be admitted by flow control.
  if (!takeOver) {
    const admission = await admit(ctx, task, promise);
    // The one refusal that writes: the task waits in its queue, not for a re-delivery.
    if (!admission.admitted) {
      await queue(ctx, task);
      return fail(STATUS.tooMany, admission.reason);
    }
  }
  const acquired = acquiredTask({ ...task, version: task.version + 1 }, data.pid, data.ttl, ctx.now);
  await ctx.tx.putTask(acquired);
  const history = await sizedPreload(ctx, promise);
  return { answer: { task: acquired, promise, ...history.preload }, bytes: history.bytes };
}

/**
 * The holder gives the task back: pending again, and sent to its target at the same version. A
 * task released again without progress in between (a worker whose writes are refused releases it
 * after each attempt) is sent after an exponential delay instead: the tick re-delivers it then.
 */
export async function releaseTask(ctx: KernelContext, req: TaskReleaseReq): Promise<Outcome<"task.release">> {
  await convergeTimeout(ctx, req.data.id);
  const held = await heldTask(ctx, req.data.id, req.data.version, HOLDER_MESSAGES);
  if ("status" in held) return held;
  const releases = (held.task.releases ?? 0) + 1;
  const delay = redeliveryDelay(releases);
  const task = pendingTask({ ...held.task, releases }, delay > 0 ? ctx.now + delay : ctx.redeliveryAt);
  await releaseSlot(ctx, held.promise);
  await ctx.tx.putTask(task);
  if (delay === 0) sendToTarget(ctx, held.promise, task);
  return ok({});
}

/**
 * The holder waits for promises. If one of them has already settled it keeps the task (300, with
 * a fresh preload); otherwise callbacks resume it when the first of them settles.
 */
export async function suspendTask(ctx: KernelContext, req: TaskSuspendReq): Promise<Outcome<"task.suspend">> {
  await convergeTimeout(ctx, req.data.id);
  for (const action of req.data.actions) await convergeTimeout(ctx, action.data.awaited);
  const held = await heldTask(ctx, req.data.id, req.data.version, HOLDER_MESSAGES);
  if ("status" in held) return held;
  const awaited: PromiseRecord[] = [];
  for (const action of req.data.actions) {
    const promise = await ctx.tx.getPromise(action.data.awaited);
    if (!promise) return fail(STATUS.unprocessable, "Awaited promise not found");
    awaited.push(promise);
  }
  // Asked to cancel while it ran (the request's callback noted in `resumes`): the holder may not
  // know (the request is not among what it awaits), so it keeps going, as when an awaited
  // promise has settled. A Reprise rule: the reference server drops such a note.
  if (held.task.resumes.includes(cancelRequestId(held.task.id)) || awaited.some((promise) => promise.state !== "pending")) {
    await ctx.tx.putTask({ ...held.task, resumes: [] });
    return { status: STATUS.redirect, data: await preload(ctx, held.promise) };
  }
  for (const promise of awaited) await ctx.tx.addCallback(promise.id, held.task.id);
  await releaseSlot(ctx, held.promise);
  await ctx.tx.putTask(suspendedTask(held.task));
  return ok({});
}

/** The holder settles the task's own promise, which fulfils the task. */
export async function fulfillTask(ctx: KernelContext, req: TaskFulfillReq): Promise<Outcome<"task.fulfill">> {
  await convergeTimeout(ctx, req.data.id);
  const held = await heldTask(ctx, req.data.id, req.data.version, HOLDER_MESSAGES);
  if ("status" in held) return held;
  const { state, value, idempotencyKey } = req.data.action.data;
  const promise = await settlePromise(ctx, held.promise, { state, value: value ?? {}, settledAt: ctx.now, idempotencyKey });
  return ok({ promise });
}

/** Creates or settles a promise only while the caller still holds the task at its version. */
export async function fenceTask(ctx: KernelContext, req: TaskFenceReq): Promise<Outcome<"task.fence">> {
  const { action } = req.data;
  await convergeTimeout(ctx, req.data.id);
  await convergeTimeout(ctx, action.data.id);
  const held = await heldTask(ctx, req.data.id, req.data.version, FENCE_MESSAGES);
  if ("status" in held) return held;
  const before = held.task.releases ? await ctx.tx.getPromise(action.data.id) : undefined;
  const answer =
    action.kind === "promise.create"
      ? toResponse(action.kind, action.head, await createPromise(ctx, action))
      : toResponse(action.kind, action.head, await settle(ctx, action));
  // Progress: the fence created a promise or settled a pending one (a replay's repeat of a write
  // already made changes nothing). It ends the backoff; the count is kept only while releases
  // follow each other with nothing written between them.
  const progressed = answer.head.status === STATUS.ok && (action.kind === "promise.create" ? before === undefined : before?.state === "pending");
  if (held.task.releases && progressed) {
    const { releases: _dropped, ...task } = held.task;
    await ctx.tx.putTask(task);
  }
  return ok({ action: answer, preload: [] });
}

/** Extends the leases of the listed tasks that `pid` still holds; ignores the rest. */
export async function heartbeatTasks(ctx: KernelContext, req: TaskHeartbeatReq): Promise<Outcome<"task.heartbeat">> {
  // Lock order is promise before task, in id order, as everywhere else: PostgreSQL would otherwise
  // find deadlocks between heartbeats and fences (and only after deadlock_timeout, a second).
  const refs = [...req.data.tasks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const ref of refs) {
    const promise = await ctx.tx.getPromise(ref.id);
    if (!promise || projectPromise(promise, ctx.now).state !== "pending") continue;
    const task = await ctx.tx.getTask(ref.id);
    if (!task || task.state !== "acquired" || task.version !== ref.version || task.pid !== req.data.pid) continue;
    await ctx.tx.putTask({ ...task, expiresAt: ctx.now + (task.ttl ?? DEFAULT_TTL) });
  }
  return ok({});
}

/** Stops a task from being delivered or resumed until `task.continue`. */
export async function haltTask(ctx: KernelContext, req: TaskHaltReq): Promise<Outcome<"task.halt">> {
  await convergeTimeout(ctx, req.data.id);
  const task = await ctx.tx.getTask(req.data.id);
  if (!task) return fail(STATUS.notFound, "Task not found");
  if (task.state === "fulfilled") return fail(STATUS.conflict, "Task is fulfilled");
  if (task.state !== "halted") {
    await leaveFlow(ctx, task, await ctx.tx.getPromise(task.id));
    await ctx.tx.putTask(haltedTask(task));
  }
  return ok({});
}

export async function continueTask(ctx: KernelContext, req: TaskContinueReq): Promise<Outcome<"task.continue">> {
  await convergeTimeout(ctx, req.data.id);
  const task = await ctx.tx.getTask(req.data.id);
  if (!task) return fail(STATUS.notFound, "Task not found");
  if (task.state !== "halted") return fail(STATUS.conflict, "Task is not halted");
  const pending = pendingTask(task, ctx.redeliveryAt);
  await ctx.tx.putTask(pending);
  sendToTarget(ctx, await requirePromise(ctx, task.id), pending);
  return ok({});
}

export async function searchTasks(ctx: KernelContext, req: TaskSearchReq): Promise<Outcome<"task.search">> {
  const { state, limit, cursor } = req.data;
  const page = await fetchPage(limit, cursor, (size, after) => ctx.tx.searchTasks({ state, limit: size, after }));
  // The page's promises in one read (both come in id order): a restart walks every held task.
  const promises = new Map((await ctx.tx.getPromises(page.items.map((task) => task.id))).map((promise) => [promise.id, promise]));
  const tasks: TaskRecord[] = [];
  for (const task of page.items) {
    const projected = projectTask(task, promises.get(task.id), ctx.now);
    if (state === undefined || projected.state === state) tasks.push(isQueued(projected) ? { ...projected, queued: true } : projected);
  }
  return ok(page.cursor === undefined ? { tasks } : { tasks, cursor: page.cursor });
}

// ---------------------------------------------------------------------------------------------

interface HolderMessages {
  notAcquired: string;
  versionMismatch: string;
}
const HOLDER_MESSAGES: HolderMessages = { notAcquired: "Task not acquired", versionMismatch: "Version mismatch" };
const FENCE_MESSAGES: HolderMessages = { notAcquired: "Fence check failed", versionMismatch: "Fence check failed" };

/** The task and its promise if the caller holds the task at `version`, else the refusal. */
async function heldTask(
  ctx: KernelContext,
  id: string,
  version: number,
  messages: HolderMessages,
): Promise<{ task: TaskRecord; promise: PromiseRecord } | { status: ErrorStatus; data: string }> {
  const task = await ctx.tx.getTask(id);
  if (!task) return fail(STATUS.notFound, "Task not found");
  if (task.state !== "acquired") return fail(STATUS.conflict, messages.notAcquired);
  const promise = await requirePromise(ctx, id);
  // A settled promise means a fulfilled task, whatever the task row still says.
  if (promise.state !== "pending") return fail(STATUS.conflict, messages.notAcquired);
  if (task.version !== version) return fail(STATUS.conflict, messages.versionMismatch);
  return { task, promise };
}

/** Writes the task pending and queued by flow control: no re-delivery until its flow has room. */
async function queue(ctx: KernelContext, task: TaskRecord): Promise<TaskRecord> {
  const queued = queuedTask(task);
  await ctx.tx.putTask(queued);
  return queued;
}

async function requirePromise(ctx: KernelContext, id: string): Promise<PromiseRecord> {
  const promise = await ctx.tx.getPromise(id);
  if (!promise) throw new Error(`Invariant violated: task ${JSON.stringify(id)} has no promise`);
  return promise;
}

function sendToTarget(ctx: KernelContext, promise: PromiseRecord, task: TaskRecord): void {
  const target = promise.tags[TAG.target];
  if (target) ctx.execute(target, task);
}
