/**
 * The user session under crashEveryStep (reprise/testing): a crash before and after every step's
 * checkpoint, each run compared with a clean one, on the real activity log (a SQLite file per
 * run). `drive` sends two activities in every run, as the session server does; then the user
 * goes idle, and the virtual clock skips the idle timeout. A copy of the workflow whose body reads
 * state outside its history (a shared cache a crash does not clear) is caught diverging.
 *
 * The activities are durable promises the outside settles, so a crash sweep alone would only see
 * the idle timeout; `drive` is what makes the activity steps part of every run.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Context } from "../../src/index.js";
import { crashEveryStep, type CrashEveryStepOptions, type TestReprise } from "../../src/testing/index.js";
import { readRows } from "../../test/examples-helpers/sqlite-rows.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { ActivityStore, type Activity } from "./activity-store.js";
import { activityId, cleanup, login, recordActivity, sessionId, userSession, type SessionSummary } from "./user-session.js";

/**
 * Longer than a task's lease in the test (30 s), so a process that dies while the user is active
 * is replaced before the session could go idle: the same story as the clean run.
 */
const IDLE_MS = 5 * 60_000;
/** The store stamps entries with the wall clock: frozen, so every run records the same values and results compare. */
const NOW = Date.UTC(2030, 0, 1);

let dir: TempDir;
let round = 0;
let file = "";
let store: ActivityStore | undefined;

/** A fresh activity log for each run: the world as it was before. */
async function reset(): Promise<void> {
  await store?.close();
  file = dir.file(`activity-${++round}.db`);
  store = ActivityStore.open(file);
}

function log(): Array<{ user: string; entry: string; kind: string }> {
  return readRows(file, "SELECT user, entry, kind FROM session_log ORDER BY rowid");
}

/** What the session server does for the user: two activities, a minute apart, each once the session waits for it. */
async function twoActivities(test: TestReprise): Promise<void> {
  for (const [n, kind] of [[1, "view"], [2, "purchase"]] as const) {
    await test.waitForPromise(activityId("ada", n));
    await test.advance(60_000);
    const activity: Activity = { kind, at: Date.now() };
    await test.resolve(activityId("ada", n), activity);
  }
}

const options = (name = "userSession"): CrashEveryStepOptions => ({
  name,
  id: sessionId("ada"),
  setup: (reprise) => reprise.setDependency("activityStore", store),
  reset,
  observe: log,
  drive: twoActivities,
});

// ----- the planted fault --------------------------------------------------------------------

/** Stands for a cache shared by the processes (Redis, say): a crash does not clear it. */
const loggedIn = new Set<string>();

/**
 * userSession with one change: it skips the login step when the shared cache says the user is
 * logged in. The first run of the body fills the cache; a replay (after a crash, or when the
 * session resumes after a wait) reads it, skips the call its history holds, and every later call
 * lands at another position than recorded.
 */
function* userSessionReadingACache(ctx: Context, user: string, idleMs: number): Generator<unknown, SessionSummary, unknown> {
  const loginAt = loggedIn.has(user) ? 0 : yield* ctx.run(login, user);
  loggedIn.add(user);
  let activities = 0;
  for (;;) {
    const activity = yield* ctx.promise<Activity>({ id: activityId(user, activities + 1) });
    const idle = yield* ctx.timer(idleMs);
    const { index } = yield* ctx.race<unknown>([activity, idle]);
    if (index === 1) break;
    activities++;
    yield* ctx.run(recordActivity, user, activities, yield* activity);
  }
  return { user, loginAt, activities, endedAt: yield* ctx.run(cleanup, user) };
}

// --------------------------------------------------------------------------------------------

beforeAll(() => {
  dir = new TempDir("reprise-user-session-");
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
});

afterAll(async () => {
  vi.useRealTimers();
  await store?.close();
  dir.remove();
});

describe("user session under crashEveryStep", () => {
  it("logs in, records each activity and cleans up once, whatever step the process dies at", async () => {
    const report = await crashEveryStep(userSession, ["ada", IDLE_MS], options());
    expect(report.steps.map((step) => step.func)).toEqual(["login", "recordActivity", "recordActivity", "cleanup"]);
    expect(report.runs).toBe(8);
    expect(report.problems).toEqual([]);
    expect(report.halts).toEqual([]);
    expect(report.reruns).toEqual([]);
    expect(log().map((row) => row.entry)).toEqual(["login", "activity-1", "activity-2", "cleanup"]);
  });

  it("catches a body that reads state outside its history: the replay diverges at the login", async () => {
    const report = await crashEveryStep(userSessionReadingACache, ["ada", IDLE_MS], {
      ...options("userSessionReadingACache"),
      reset: async () => {
        loggedIn.clear();
        await reset();
      },
    });
    // Every replay reads the cache: the clean run's too, when the session resumes after waiting
    // for its first activity, so it records only the login before it diverges.
    expect(report.steps.map((step) => step.func)).toEqual(["login"]);
    // The clean run itself diverges (crash "none"), at the call after the login.
    expect(report.problems[0]).toMatchObject({ kind: "divergence", crash: "none" });
    expect(report.problems.slice(1).map((problem) => [problem.kind, problem.step.func, problem.crash])).toEqual([
      ["divergence", "login", "before-record"],
      ["divergence", "login", "after-record"],
    ]);
    for (const problem of report.problems) expect(problem.detail).toMatch(/^non-deterministic replay at session-ada\.\d+: the history recorded /);
  });
});
