/**
 * The order of a flow-control queue (kernel/flow.ts), the same in every backend: highest priority
 * first, then the oldest execution, then the first queued.
 */
import type { QueuedTask } from "../backend.js";

export function queueOrder(a: Pick<QueuedTask, "priority" | "createdAt" | "seq">, b: Pick<QueuedTask, "priority" | "createdAt" | "seq">): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.seq ?? Number.POSITIVE_INFINITY) - (b.seq ?? Number.POSITIVE_INFINITY);
}
