/**
 * What settling a promise sets in motion: its own task is fulfilled, the tasks suspended on it
 * resume, and its listeners are told. Every path that settles a promise (settle, fulfill, fence,
 * timeout) goes through here.
 */
import type { PromiseRecord, PromiseState, Value } from "../../protocol/records.js";
import { TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { isTimedOut, timeoutState } from "./projection.js";
import { noteFinished } from "./retention.js";
import { fulfilledTask, pendingTask, withResume } from "./task-states.js";

export interface Settlement {
  state: PromiseState;
  value: Value;
  settledAt: number;
  idempotencyKey?: string;
}

/** Writes the settled promise and runs its consequences. Returns the settled record. */
export async function settlePromise(ctx: KernelContext, promise: PromiseRecord, settlement: Settlement): Promise<PromiseRecord> {
  const settled = await writeSettlement(ctx, promise, settlement);
  await fulfilTask(ctx, settled.id);
  await resumeAwaiters(ctx, settled.id);
  await notifyListeners(ctx, settled);
  return settled;
}

/** Only the write, for callers that run the consequences in phases (the tick). */
export async function writeSettlement(ctx: KernelContext, promise: PromiseRecord, settlement: Settlement): Promise<PromiseRecord> {
  const settled: PromiseRecord = { ...promise, state: settlement.state, value: settlement.value, settledAt: settlement.settledAt };
  if (settlement.idempotencyKey !== undefined) settled.idempotencyKeyForComplete = settlement.idempotencyKey;
  await ctx.tx.updatePromise(settled);
  await noteFinished(ctx, settled);
  return settled;
}

/** The settlement a promise gets when its timeout passes. */
export function timeoutSettlement(promise: PromiseRecord): Settlement {
  return { state: timeoutState(promise.tags), value: promise.value, settledAt: promise.timeoutAt };
}

/**
 * Writes down a timeout that has logically happened, before a request acts on the promise, so
 * the request sees (and its consequences start from) the same state every reader already sees.
 */
export async function convergeTimeout(ctx: KernelContext, id: string): Promise<void> {
  const promise = await ctx.tx.getPromise(id);
  if (promise && isTimedOut(promise, ctx.now)) await settlePromise(ctx, promise, timeoutSettlement(promise));
}

/** The task of a settled promise is done; it no longer waits for anything. */
export async function fulfilTask(ctx: KernelContext, id: string): Promise<void> {
  const task = await ctx.tx.getTask(id);
  if (!task || task.state === "fulfilled") return;
  await ctx.tx.putTask(fulfilledTask(task));
  await ctx.tx.deleteCallbacksOf(id);
}

/**
 * Tasks suspended on `promiseId` go back to pending and are sent to their target; a task that is
 * busy (pending, acquired, halted) notes the promise in `resumes` instead.
 */
export async function resumeAwaiters(ctx: KernelContext, promiseId: string): Promise<void> {
  for (const awaiter of await ctx.tx.takeCallbacks(promiseId)) {
    const task = await ctx.tx.getTask(awaiter);
    if (!task || task.state === "fulfilled") continue;
    if (task.state !== "suspended") {
      await ctx.tx.putTask(withResume(task, promiseId));
      continue;
    }
    const resumed = pendingTask({ ...task, resumes: [promiseId] }, ctx.redeliveryAt);
    await ctx.tx.putTask(resumed);
    const address = (await ctx.tx.getPromise(awaiter))?.tags[TAG.target];
    if (address !== undefined) ctx.execute(address, resumed);
  }
}

export async function notifyListeners(ctx: KernelContext, promise: PromiseRecord): Promise<void> {
  for (const address of await ctx.tx.takeListeners(promise.id)) ctx.unblock(address, promise);
}
