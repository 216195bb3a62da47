/**
 * What settling a promise sets in motion: its own task is fulfilled, the tasks suspended on it
 * resume, and its listeners are told. Every path that settles a promise (settle, fulfill, fence,
 * timeout) goes through here.
 */
import type { PromiseRecord, PromiseState, Value } from "../../protocol/records.js";
import { TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { isTimedOut, timeoutState } from "./projection.js";
import { leaveFlow } from "./flow.js";
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
  // Its promise was just written, so this read is answered from the row cache.
  await leaveFlow(ctx, task, await ctx.tx.getPromise(id));
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

/**
 * Settles the promises past their timeout (up to `batch`; the tick, and a search that must see
 * them settled), in three phases so that the outcome does not depend on the order of the due
 * list: all promises first, then the tasks they fulfil, then the tasks they resume. A task whose
 * own promise timed out in this tick is fulfilled, never first resumed by a sibling's timeout.
 */
export async function timeOutPromises(ctx: KernelContext, batch: number): Promise<number> {
  const due = await ctx.tx.duePromises(ctx.now, batch);
  const settled: PromiseRecord[] = [];
  for (const promise of due) {
    if (isTimedOut(promise, ctx.now)) settled.push(await writeSettlement(ctx, promise, timeoutSettlement(promise)));
  }
  for (const promise of settled) await fulfilTask(ctx, promise.id);
  for (const promise of settled) {
    await resumeAwaiters(ctx, promise.id);
    await notifyListeners(ctx, promise);
  }
  return due.length;
}
