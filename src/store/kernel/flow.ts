/**
 * Flow control, enforced by the store in the transaction that acquires a task, so the limits hold
 * across processes, workers and servers (docs/flow-control.md).
 *
 * An execution is flow-controlled when its promise carries the `reprise:flow` tag (its flow key, ""
 * for none): set by the caller that knows the function's limits, or by the store at creation when
 * a worker of the target group declared limits for the function (`declared-limits.ts`). Nothing
 * else is ever limited, and a promise without the tag costs no query here.
 *
 * State lives in rows of its own, one per (group, function, key) (`FlowRow`): how many of its
 * tasks are acquired, and the start times its rate limit needs. A task holds a slot exactly while
 * it is acquired: acquiring takes one (`admit`), and every way out of `acquired` gives it back
 * (`releaseSlot`: fulfil, suspend, release, halt, lease expiry), in the same transaction. A
 * holder's take-over keeps the slot. A new execution joins its queue when it is created
 * (`sendOnCreate`; `QueuedTask`, ordered by priority, then age) and is sent to a worker only if
 * it is among those there is room for; one that must wait, or an acquisition refused for want of
 * room, stays pending with no re-delivery time of its own: whoever makes room dispatches the
 * queue's heads (an `execute` each), and the row's `wakeAt` brings the tick back when a rate
 * window opens or to re-send a dispatch nobody answered.
 *
 * Lock order: promise, task, then flow row (the row is locked last, so it never waits on a lock
 * held by someone who waits on it); a dispatch only sends messages, it locks no other task.
 */
import type { FlowDeclaration, PromiseRecord, TaskRecord } from "../../protocol/records.js";
import { parseAddress, TAG } from "../../protocol/tags.js";
import type { FlowRow, QueuedTask } from "../backend.js";
import type { KernelContext } from "./context.js";

/** Most queued tasks one dispatch sends `execute` to. */
const MAX_DISPATCH = 100;

export interface Flow {
  group: string;
  func: string;
  key: string;
  /** The promise's target: where its task's `execute` goes. */
  address: string;
  /** From the `reprise:priority` tag; absent when the execution names none. */
  priority?: number;
}

/** The id of the state row of (group, func, key). */
export function flowRowId(group: string, func: string, key: string): string {
  return JSON.stringify([group, func, key]);
}

/** The flow a promise's task belongs to, from its tags alone; undefined when it is not limited. */
export function flowOf(promise: PromiseRecord): Flow | undefined {
  const key = promise.tags[TAG.flow];
  if (key === undefined) return undefined;
  const address = promise.tags[TAG.target];
  const func = promise.tags[TAG.func];
  const group = address === undefined ? undefined : parseAddress(address)?.group;
  if (address === undefined || func === undefined || group === undefined) return undefined;
  const priority = promise.tags[TAG.priority];
  return { group, func, key, address, ...(priority === undefined ? {} : { priority: Number(priority) }) };
}

/**
 * Whether the task of `promise` may be acquired now. If so, it takes a slot (and a start of the
 * rate window) and leaves the queue; if not, it joins the queue (or keeps its place there). A
 * task that is not flow-controlled is always admitted, without a query.
 */
export async function admit(ctx: KernelContext, task: TaskRecord, promise: PromiseRecord): Promise<{ admitted: true } | { admitted: false; reason: string }> {
  const locked = await lockFlow(ctx, promise);
  if (!locked) return { admitted: true };
  const { flow, limits, row } = locked;
  const entry = queueEntry(locked, task, promise);
  const room = roomIn(row, limits, ctx.now);
  if (room.free > 0) {
    const ahead = room.free === Number.POSITIVE_INFINITY ? 0 : await ctx.tx.queuedAhead(row.id, entry, room.free);
    if (ahead < room.free) {
      row.running += 1;
      const rate = limits?.rateLimit;
      row.starts = rate ? [...room.starts, ctx.now].slice(-rate.limit) : [];
      // This start may fill the window while others wait: the tick dispatches them when it opens.
      if (rate && row.starts.length >= rate.limit) row.wakeAt = Math.min(row.wakeAt ?? Number.POSITIVE_INFINITY, row.starts[0]! + rate.periodMs);
      await ctx.tx.putFlowRow(row);
      await ctx.tx.unqueueTask(task.id);
      return { admitted: true };
    }
  }
  await ctx.tx.queueTask(entry);
  // Room, but others queued before this task: they go first. If nobody told them (their dispatch
  // was lost, or the limits were raised), this attempt does.
  await dispatch(ctx, row, limits);
  return { admitted: false, reason: describeWait(flow, row, limits, room.free) };
}

/**
 * A new pending task of a flow-controlled promise joins its queue at once, so a burst of
 * executions does not send a worker to be refused for each: true when it is among the first its
 * flow has room for (send it now; it keeps its place until it is acquired), false when it waits
 * (only room dispatches it). A task that is not flow-controlled is always sent, without a query.
 */
export async function sendOnCreate(ctx: KernelContext, task: TaskRecord, promise: PromiseRecord): Promise<boolean> {
  const locked = await lockFlow(ctx, promise);
  if (!locked) return true;
  const { limits, row } = locked;
  const room = roomIn(row, limits, ctx.now);
  if (room.free === Number.POSITIVE_INFINITY) return true;
  const entry = queueEntry(locked, task, promise);
  await ctx.tx.queueTask(entry);
  if (room.free > 0 && (await ctx.tx.queuedAhead(row.id, entry, room.free)) < room.free) return true;
  // It waits. Those ahead of it were sent when they came or when room freed; if the rate window is
  // what is short, the row wakes when it opens.
  if (room.free === 0) await dispatch(ctx, row, limits);
  return false;
}

/** The task of `promise` no longer holds its slot (it left `acquired`): the queue's heads may start. */
export async function releaseSlot(ctx: KernelContext, promise: PromiseRecord): Promise<void> {
  const locked = await lockFlow(ctx, promise);
  if (!locked) return;
  locked.row.running = Math.max(0, locked.row.running - 1);
  await dispatch(ctx, locked.row, locked.limits);
}

/** The task of `promise` leaves what it was doing: gives back its slot, or leaves the queue. */
export async function leaveFlow(ctx: KernelContext, task: TaskRecord, promise: PromiseRecord | undefined): Promise<void> {
  if (!promise || !flowOf(promise)) return;
  if (task.state === "acquired") await releaseSlot(ctx, promise);
  else if (task.state === "pending") await ctx.tx.unqueueTask(task.id);
}

/** The tick: rows whose rate window opened, or whose dispatch is due to be re-sent. */
export async function wakeFlows(ctx: KernelContext, batch: number): Promise<number> {
  const due = await ctx.tx.dueFlowRows(ctx.now, batch);
  for (const row of due) {
    delete row.wakeAt;
    await dispatch(ctx, row, await ctx.tx.getFlowLimit(row.group, row.func));
  }
  return due.length;
}

/**
 * Sends `execute` to as many of the row's queued tasks as it has room for, and writes the row.
 * Its `wakeAt` says when to look again: when the rate window opens (room is short only for it),
 * after a dispatch when a pending task would be re-delivered (if nobody came for it), or when the
 * last start leaves the window of a row with nothing else in it. A row with nothing running,
 * queued or in its window is deleted: keys come and go, their rows with them.
 */
async function dispatch(ctx: KernelContext, row: FlowRow, limits: FlowDeclaration | undefined): Promise<void> {
  const room = roomIn(row, limits, ctx.now);
  let wakeAt: number | undefined;
  let queueEmpty: boolean | undefined;
  if (room.free > 0) {
    const heads = await ctx.tx.queueHeads(row.id, Math.min(room.free, MAX_DISPATCH));
    for (const head of heads) ctx.execute(head.address, { id: head.taskId, version: head.version });
    if (heads.length > 0) wakeAt = ctx.redeliveryAt;
    queueEmpty = heads.length === 0;
  } else if (room.rateOpensAt !== undefined) {
    queueEmpty = (await ctx.tx.queueHeads(row.id, 1)).length === 0;
    if (!queueEmpty) wakeAt = room.rateOpensAt;
  }
  if (row.running === 0 && queueEmpty === true) {
    if (room.starts.length === 0) {
      await ctx.tx.deleteFlowRow(row.id);
      return;
    }
    wakeAt = room.starts[room.starts.length - 1]! + limits!.rateLimit!.periodMs;
  }
  const next: FlowRow = { ...row, starts: room.starts };
  if (wakeAt === undefined) delete next.wakeAt;
  else next.wakeAt = wakeAt;
  await ctx.tx.putFlowRow(next);
}

interface LockedFlow {
  flow: Flow;
  limits: FlowDeclaration | undefined;
  /** Locked until the transaction ends (PostgreSQL), or under the write lock (SQLite). */
  row: FlowRow;
}

/** The flow of `promise` with its limits and its locked state row; undefined (no query) when it is not limited. */
async function lockFlow(ctx: KernelContext, promise: PromiseRecord): Promise<LockedFlow | undefined> {
  const flow = flowOf(promise);
  if (!flow) return undefined;
  const limits = await ctx.tx.getFlowLimit(flow.group, flow.func);
  const row = await ctx.tx.lockFlowRow(flow.group, flow.func, flow.key);
  return { flow, limits, row };
}

/** The queue entry of `task`: its priority from its tag, else its function's declaration, else 0. */
function queueEntry({ flow, limits, row }: LockedFlow, task: TaskRecord, promise: PromiseRecord): QueuedTask {
  const priority = flow.priority ?? limits?.priority ?? 0;
  return { taskId: task.id, flowId: row.id, group: flow.group, func: flow.func, priority, createdAt: promise.createdAt, version: task.version, address: flow.address };
}

interface Room {
  /** How many more tasks may start now (Infinity without limits). */
  free: number;
  /** The starts still inside the rate window. */
  starts: number[];
  /** When the rate window next lets one start, if it is what leaves no room while slots are free. */
  rateOpensAt?: number;
}

function roomIn(row: FlowRow, limits: FlowDeclaration | undefined, now: number): Room {
  const rate = limits?.rateLimit;
  const starts = rate ? row.starts.filter((at) => at > now - rate.periodMs) : [];
  const slots = limits?.concurrency === undefined ? Number.POSITIVE_INFINITY : limits.concurrency - row.running;
  const tokens = rate ? rate.limit - starts.length : Number.POSITIVE_INFINITY;
  const free = Math.max(0, Math.min(slots, tokens));
  // The oldest start that keeps the window full leaves it at its time + period.
  const rateOpensAt = rate && tokens <= 0 && slots > 0 ? starts[starts.length - rate.limit]! + rate.periodMs : undefined;
  return rateOpensAt === undefined ? { free, starts } : { free, starts, rateOpensAt };
}

function describeWait(flow: Flow, row: FlowRow, limits: FlowDeclaration | undefined, free: number): string {
  const name = flow.key === "" ? `"${flow.func}"` : `"${flow.func}" (key ${JSON.stringify(flow.key)})`;
  if (free > 0) return `Queued by flow control: ${name} has room, and executions queued before this one start first`;
  if (limits?.concurrency !== undefined && row.running >= limits.concurrency) {
    return `Queued by flow control: ${name} runs ${row.running} of ${limits.concurrency} executions at once; it starts when one finishes`;
  }
  const rate = limits?.rateLimit;
  return `Queued by flow control: ${name} started ${rate?.limit} executions in the last ${rate?.periodMs} ms; it starts when the rate window allows`;
}
