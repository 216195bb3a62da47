/**
 * Schedules: a cron expression and a promise template. At each run the tick creates the promise
 * (its id expanded from the template) and advances the schedule to its next run.
 */
import { storedValue, type ScheduleRecord } from "../../protocol/records.js";
import {
  STATUS,
  type ScheduleCreateReq,
  type ScheduleDeleteReq,
  type ScheduleGetReq,
  type ScheduleSearchReq,
} from "../../protocol/requests.js";
import { MAX_TIME } from "../../protocol/limits.js";
import { TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { nextCronRun } from "./cron.js";
import { fail, ok, type Outcome } from "./outcome.js";
import { createPromise } from "./promises.js";
import { expandPromiseId } from "../../protocol/schedule-template.js";
import { fetchPage } from "./search.js";

export async function getSchedule(ctx: KernelContext, req: ScheduleGetReq): Promise<Outcome<"schedule.get">> {
  const schedule = await ctx.tx.getSchedule(req.data.id);
  if (!schedule) return fail(STATUS.notFound, "Schedule not found");
  return ok({ schedule });
}

/** Idempotent by id: an existing schedule is returned as it is. */
export async function createSchedule(ctx: KernelContext, req: ScheduleCreateReq): Promise<Outcome<"schedule.create">> {
  const existing = await ctx.tx.getSchedule(req.data.id);
  if (existing) return ok({ schedule: existing });
  const nextRunAt = nextCronRun(req.data.cron, ctx.now);
  if (nextRunAt === undefined) return fail(STATUS.badRequest, "Invalid cron expression");
  const schedule: ScheduleRecord = {
    id: req.data.id,
    cron: req.data.cron,
    promiseId: req.data.promiseId,
    promiseTimeout: req.data.promiseTimeout,
    promiseParam: storedValue(req.data.promiseParam),
    promiseTags: req.data.promiseTags,
    createdAt: ctx.now,
    nextRunAt,
  };
  await ctx.tx.putSchedule(schedule);
  return ok({ schedule });
}

export async function deleteSchedule(ctx: KernelContext, req: ScheduleDeleteReq): Promise<Outcome<"schedule.delete">> {
  const schedule = await ctx.tx.getSchedule(req.data.id);
  if (!schedule) return fail(STATUS.notFound, "Schedule not found");
  await ctx.tx.deleteSchedule(schedule.id);
  return ok({});
}

export async function searchSchedules(ctx: KernelContext, req: ScheduleSearchReq): Promise<Outcome<"schedule.search">> {
  const { tags, limit, cursor } = req.data;
  const page = await fetchPage(limit, cursor, (size, after) => ctx.tx.searchSchedules({ tags, limit: size, after }));
  return ok(page.cursor === undefined ? { schedules: page.items } : { schedules: page.items, cursor: page.cursor });
}

/**
 * One run of a due schedule: the promise of the run at `nextRunAt` (idempotent, so a run is never
 * made twice), then the schedule moves on one run. Runs missed while nothing ticked are made one
 * per tick until the schedule has caught up.
 */
export async function fireSchedule(ctx: KernelContext, schedule: ScheduleRecord): Promise<void> {
  const runAt = schedule.nextRunAt;
  await createPromise(ctx, {
    kind: "promise.create",
    head: { corrId: "", version: "" },
    data: {
      id: expandPromiseId(schedule.promiseId, schedule.id, runAt),
      timeoutAt: runAt + schedule.promiseTimeout,
      param: schedule.promiseParam,
      tags: { ...schedule.promiseTags, [TAG.schedule]: schedule.id },
    },
  });
  // A cron with no later run (it cannot happen with five or six fields) parks the schedule.
  const nextRunAt = nextCronRun(schedule.cron, runAt) ?? MAX_TIME;
  await ctx.tx.putSchedule({ ...schedule, lastRunAt: runAt, nextRunAt });
}
