/**
 * A user session as one long-running generator (a durable entity): log in, then record each
 * activity as it arrives, until the user has been idle for `idleMs`; then clean up once.
 *
 * Each wait races the next activity (a durable promise the outside settles by a deterministic id)
 * against a durable timer. Both live in the promise store, so a crash neither loses an activity
 * nor restarts the idle clock: the timer keeps the deadline it was created with.
 */
import type { Context } from "../../src/index.js";
import type { Activity, ActivityStore } from "./activity-store.js";

export interface SessionSummary {
  user: string;
  loginAt: number;
  activities: number;
  endedAt: number;
}

export function sessionId(user: string): string {
  return `session-${user}`;
}

/** The id of the durable promise the session's n-th activity settles (n from 1). */
export function activityId(user: string, n: number): string {
  return `${sessionId(user)}.activity-${n}`;
}

/** Matches every activity promise of the session (for `promises.search`). */
export function activityIdPattern(user: string): string {
  return `${sessionId(user)}.activity-*`;
}

export function* userSession(ctx: Context, user: string, idleMs: number): Generator<unknown, SessionSummary, unknown> {
  const loginAt = yield* ctx.run(login, user);

  let activities = 0;
  for (;;) {
    const activity = yield* ctx.promise<Activity>({ id: activityId(user, activities + 1) });
    const idle = yield* ctx.timer(idleMs);
    const { index } = yield* ctx.race<unknown>([activity, idle]);
    if (index === 1) break;

    activities++;
    yield* ctx.run(recordActivity, user, activities, yield* activity);
  }

  const endedAt = yield* ctx.run(cleanup, user);
  return { user, loginAt, activities, endedAt };
}

export async function login(ctx: Context, user: string): Promise<number> {
  return ctx.getDependency<ActivityStore>("activityStore").login(user);
}

export async function recordActivity(ctx: Context, user: string, n: number, activity: Activity): Promise<number> {
  return ctx.getDependency<ActivityStore>("activityStore").recordActivity(user, n, activity);
}

export async function cleanup(ctx: Context, user: string): Promise<number> {
  return ctx.getDependency<ActivityStore>("activityStore").cleanup(user);
}
