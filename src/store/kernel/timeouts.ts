/**
 * The tick: everything that becomes due with the passing of time, found through the backends'
 * due-indexes, never by scanning.
 *   - pending promises past their timeout settle (timers resolve, the rest time out);
 *   - acquired tasks whose lease ran out go back to pending and are sent to their target again;
 *   - pending tasks nobody acquired in time are sent again;
 *   - due schedules make their promise and advance;
 *   - flow rows whose rate window opened (or whose dispatch went unanswered) dispatch their queue.
 */
import type { TaskRecord } from "../../protocol/records.js";
import { TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { isTimedOut } from "./projection.js";
import { releaseSlot, wakeFlows } from "./flow.js";
import { fireSchedule } from "./schedules.js";
import { settlePromise, timeOutPromises, timeoutSettlement } from "./settlement.js";
import { pendingTask } from "./task-states.js";

export interface TickResult {
  /** Records changed. */
  changed: number;
  /** Whether a batch was full, so more may be due right now. */
  more: boolean;
  /** Acquired tasks whose holder stopped renewing its lease. */
  leasesExpired: number;
}

export async function tick(ctx: KernelContext, batch: number): Promise<TickResult> {
  const promises = await timeOutPromises(ctx, batch);
  const due = await ctx.tx.dueTasks(ctx.now, batch);
  const leasesExpired = due.filter((task) => task.state === "acquired").length;
  for (const task of due) await expireTask(ctx, task);
  const tasks = due.length;
  const schedules = await ctx.tx.dueSchedules(ctx.now, batch);
  for (const schedule of schedules) await fireSchedule(ctx, schedule);
  const flows = await wakeFlows(ctx, batch);
  return {
    changed: promises + tasks + schedules.length + flows,
    more: promises >= batch || tasks >= batch || schedules.length >= batch || flows >= batch,
    leasesExpired,
  };
}

/** A lost lease or an unanswered delivery: the task is (again) pending and sent to its target. */
async function expireTask(ctx: KernelContext, task: TaskRecord): Promise<void> {
  const promise = await ctx.tx.getPromise(task.id);
  if (!promise) throw new Error(`Invariant violated: task ${JSON.stringify(task.id)} has no promise`);
  // Its promise timed out but was beyond this tick's batch: settling it fulfils the task.
  if (isTimedOut(promise, ctx.now)) {
    await settlePromise(ctx, promise, timeoutSettlement(promise));
    return;
  }
  // A lost lease gives back the slot it held (flow control); the task queues again when re-offered.
  if (task.state === "acquired") await releaseSlot(ctx, promise);
  const pending = pendingTask(task, ctx.redeliveryAt);
  await ctx.tx.putTask(pending);
  const target = promise.tags[TAG.target];
  if (target) ctx.execute(target, pending);
}
