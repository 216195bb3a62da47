/**
 * Transitions of durable promises: get, create, settle, register_callback, register_listener and
 * search. Create and settle are idempotent by id, as the protocol says; idempotency keys (a
 * Reprise extension) only turn a retry by a *different* caller into a 409.
 */
import { storedValue, type PromiseRecord } from "../../protocol/records.js";
import {
  STATUS,
  type PromiseCreateReq,
  type PromiseGetReq,
  type PromiseRegisterCallbackReq,
  type PromiseRegisterListenerReq,
  type PromiseSearchReq,
  type PromiseSettleReq,
} from "../../protocol/requests.js";
import { TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { fail, ok, type Outcome } from "./outcome.js";
import { isAwaitable, projectPromise, timeoutState } from "./projection.js";
import { flowTagged } from "./flow-requests.js";
import { noteFinished } from "./retention.js";
import { fetchPage } from "./search.js";
import { convergeTimeout, settlePromise, timeOutPromises } from "./settlement.js";
import { sendOnCreate } from "./flow.js";
import { fulfilledTask, pendingTask, queuedTask } from "./task-states.js";

/**
 * Like the reference server, a read writes down a timeout that has already happened (and sends
 * what it sets in motion) before answering; what it answers is the same either way.
 */
export async function getPromise(ctx: KernelContext, req: PromiseGetReq): Promise<Outcome<"promise.get">> {
  await convergeTimeout(ctx, req.data.id);
  const promise = await ctx.tx.getPromise(req.data.id);
  if (!promise) return fail(STATUS.notFound, "Promise not found");
  return ok({ promise });
}

export async function createPromise(ctx: KernelContext, req: PromiseCreateReq): Promise<Outcome<"promise.create">> {
  await convergeTimeout(ctx, req.data.id);
  const existing = await ctx.tx.getPromise(req.data.id);
  if (existing) {
    const conflict = createKeyConflict(existing, req.data.idempotencyKey);
    if (conflict) return fail(STATUS.conflict, conflict);
    return ok({ promise: projectPromise(existing, ctx.now) });
  }
  const promise = newPromise(ctx, await flowTagged(ctx, req.data));
  await ctx.tx.insertPromise(promise);
  await noteFinished(ctx, promise);
  await createTaskFor(ctx, promise);
  return ok({ promise });
}

export async function settle(ctx: KernelContext, req: PromiseSettleReq): Promise<Outcome<"promise.settle">> {
  await convergeTimeout(ctx, req.data.id);
  const promise = await ctx.tx.getPromise(req.data.id);
  if (!promise) return fail(STATUS.notFound, "Promise not found");
  if (promise.state !== "pending") {
    const conflict = settleKeyConflict(promise, req.data.idempotencyKey);
    if (conflict) return fail(STATUS.conflict, conflict);
    return ok({ promise });
  }
  const settled = await settlePromise(ctx, promise, {
    state: req.data.state,
    value: storedValue(req.data.value),
    settledAt: ctx.now,
    idempotencyKey: req.data.idempotencyKey,
  });
  return ok({ promise: settled });
}

export async function registerCallback(
  ctx: KernelContext,
  req: PromiseRegisterCallbackReq,
): Promise<Outcome<"promise.register_callback">> {
  const { awaited: awaitedId, awaiter: awaiterId } = req.data;
  await convergeTimeout(ctx, awaitedId);
  await convergeTimeout(ctx, awaiterId);
  const awaited = await ctx.tx.getPromise(awaitedId);
  if (!awaited) return fail(STATUS.notFound, "Awaited promise not found");
  const awaiter = await ctx.tx.getPromise(awaiterId);
  if (!awaiter) return fail(STATUS.unprocessable, "Awaiter promise not found");
  if (!awaiter.tags[TAG.target]) return fail(STATUS.unprocessable, "Awaiter has no address");
  // Once either side has settled there is nothing to wait for; the answer says so.
  if (awaited.state === "pending" && awaiter.state === "pending") await ctx.tx.addCallback(awaitedId, awaiterId);
  return ok({ promise: awaited });
}

export async function registerListener(
  ctx: KernelContext,
  req: PromiseRegisterListenerReq,
): Promise<Outcome<"promise.register_listener">> {
  await convergeTimeout(ctx, req.data.awaited);
  const promise = await ctx.tx.getPromise(req.data.awaited);
  if (!promise) return fail(STATUS.notFound, "Promise not found");
  if (!isAwaitable(promise)) return fail(STATUS.unprocessable, "Awaited promise is not awaitable");
  if (promise.state === "pending") await ctx.tx.addListener(promise.id, req.data.address);
  return ok({ promise });
}

/** Due timeouts a state-filtered search settles first; a larger backlog is the ticker's. */
const CONVERGE_BEFORE_SEARCH = 1000;

export async function searchPromises(ctx: KernelContext, req: PromiseSearchReq): Promise<Outcome<"promise.search">> {
  const { id: idPattern, state, tags, limit, cursor } = req.data;
  // A state filter is answered from stored states: first write down the timeouts already due
  // (an indexed read), so a pending promise past its deadline is found as timed out.
  if (state !== undefined) await timeOutPromises(ctx, CONVERGE_BEFORE_SEARCH);
  const page = await fetchPage(limit, cursor, (size, after) =>
    ctx.tx.searchPromises({ idPattern, state, tags, limit: size, after }),
  );
  // Stored state may lag a timeout that has already happened; a filter applies to what readers see.
  const promises = page.items.map((p) => projectPromise(p, ctx.now)).filter((p) => state === undefined || p.state === state);
  return ok(page.cursor === undefined ? { promises } : { promises, cursor: page.cursor });
}

// ---------------------------------------------------------------------------------------------

/**
 * The record a create makes: pending, or already settled when it arrives past its timeout (then
 * it was, logically, created and timed out at `timeoutAt`).
 */
export function newPromise(ctx: KernelContext, data: PromiseCreateReq["data"]): PromiseRecord {
  const tags = data.tags ?? {};
  if (data.result !== undefined && ctx.now < data.timeoutAt) {
    // Recorded already settled (a step that ran in the caller's process): created and settled now.
    const createdAt = Math.min(data.result.startedAt ?? ctx.now, ctx.now);
    const recorded: PromiseRecord = { id: data.id, state: data.result.state, param: storedValue(data.param), value: storedValue(data.result.value), tags, timeoutAt: data.timeoutAt, createdAt, settledAt: ctx.now };
    if (data.idempotencyKey !== undefined) recorded.idempotencyKeyForCreate = data.idempotencyKey;
    return recorded;
  }
  const bornSettled = ctx.now >= data.timeoutAt;
  const promise: PromiseRecord = {
    id: data.id,
    state: bornSettled ? timeoutState(tags) : "pending",
    param: storedValue(data.param),
    value: {},
    tags,
    timeoutAt: data.timeoutAt,
    createdAt: bornSettled ? data.timeoutAt : ctx.now,
  };
  if (bornSettled) promise.settledAt = data.timeoutAt;
  if (data.idempotencyKey !== undefined) promise.idempotencyKeyForCreate = data.idempotencyKey;
  return promise;
}

/**
 * A promise with a target gets a task: pending and sent to the target now, or at `resonate:delay`
 * when that is later; already fulfilled when the promise was born settled.
 */
async function createTaskFor(ctx: KernelContext, promise: PromiseRecord): Promise<void> {
  const target = promise.tags[TAG.target];
  if (!target) return;
  const blank = { id: promise.id, version: 0, resumes: [] };
  if (promise.state !== "pending") {
    await ctx.tx.putTask(fulfilledTask(blank));
    return;
  }
  const delay = Number(promise.tags[TAG.delay]);
  const deferred = Number.isFinite(delay) && ctx.now < delay;
  // Flow control: an execution its function has no room for waits queued, no worker sent to it.
  if (!deferred && !(await sendOnCreate(ctx, { ...blank, state: "pending" }, promise))) {
    await ctx.tx.putTask(queuedTask(blank));
    return;
  }
  const task = pendingTask(blank, deferred ? delay : ctx.redeliveryAt);
  await ctx.tx.putTask(task);
  if (!deferred) ctx.execute(target, task);
}

function createKeyConflict(existing: PromiseRecord, key: string | undefined): string | undefined {
  if (key === undefined || existing.idempotencyKeyForCreate === key) return undefined;
  return `Promise ${JSON.stringify(existing.id)} already exists, created with ${describeKey(existing.idempotencyKeyForCreate)}; this create has idempotency key ${JSON.stringify(key)}`;
}

function settleKeyConflict(existing: PromiseRecord, key: string | undefined): string | undefined {
  if (key === undefined || existing.idempotencyKeyForComplete === key) return undefined;
  return `Promise ${JSON.stringify(existing.id)} is already ${existing.state}, settled with ${describeKey(existing.idempotencyKeyForComplete)}; this settle has idempotency key ${JSON.stringify(key)}`;
}

function describeKey(key: string | undefined): string {
  return key === undefined ? "no idempotency key" : `idempotency key ${JSON.stringify(key)}`;
}
