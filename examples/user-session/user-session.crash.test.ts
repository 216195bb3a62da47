/**
 * A session survives kill -9: the restarted process neither records earlier activities again nor
 * restarts the idle clock (the session ends at last activity + idle, measured), and cleans up once.
 */
import { describe, expect, it } from "vitest";
import { ExampleProcess, freshDirPerTest } from "../../test/examples-helpers/example-process.js";
import { baseUrl, getJson, postJson } from "../../test/examples-helpers/http.js";
import { SeededRandom } from "../../test/examples-helpers/seeded-random.js";
import { ActivityStore } from "./activity-store.js";
import type { SessionView } from "./session-service.js";

const MAIN = "examples/user-session/main.ts";
const IDLE_MS = 2_500;

describe("user session survives kill -9", () => {
  const workspace = freshDirPerTest();

  async function startServer(crashAt?: string, idleMs = IDLE_MS): Promise<{ child: ExampleProcess; url: string; readyAt: number }> {
    const env: Record<string, string> = { PORT: "0", IDLE_MS: String(idleMs), REPRISE_STORE: workspace.dir.file("reprise.db"), ACTIVITY_DB: workspace.dir.file("activity.db") };
    if (crashAt) env.CRASH_AT = crashAt;
    const child = ExampleProcess.start(MAIN, { env });
    const listening = await child.waitFor("LISTENING ");
    return { child, url: baseUrl(listening.text), readyAt: listening.at };
  }

  async function log(user: string): Promise<string[]> {
    const store = ActivityStore.open(workspace.dir.file("activity.db"));
    try {
      return (await store.entries(user)).map((entry) => entry.entry);
    } finally {
      await store.close();
    }
  }

  it("resumes mid-session: no activity re-recorded, the idle deadline kept, cleanup once", async () => {
    // The two outcomes told apart: the kept deadline fires at idleUntil (or as soon as the restarted
    // process can), a restarted clock no earlier than a full idle period after the restart. The
    // period is long, and the kill comes late in it, so that the gap between the two (the time
    // from the last activity to the restart) dwarfs how late a loaded machine fires a timer.
    const idleMs = 8_000;
    const first = await startServer(undefined, idleMs);
    expect((await postJson(`${first.url}/sessions/ada`)).status).toBe(202);
    await first.child.waitFor("DONE store.login");
    for (const kind of ["view", "click"]) expect((await postJson(`${first.url}/sessions/ada/activities`, { kind })).status).toBe(202);
    await waitForLines(first.child, "DONE store.recordActivity", 2);
    await sleep(300); // the next idle timer is created right after the activity is recorded
    const { idleUntil } = (await getJson<SessionView>(`${first.url}/sessions/ada`)).body;
    expect(idleUntil).toBeGreaterThan(Date.now());
    await sleep(Math.max(0, idleUntil! - idleMs / 2 - Date.now()));
    await first.child.kill();

    const second = await startServer(undefined, idleMs);
    const ended = await second.child.waitFor("ENDED session-ada", 2 * idleMs);

    expect(second.child.linesStarting("CALL store.login")).toEqual([]);
    expect(second.child.linesStarting("CALL store.recordActivity")).toEqual([]);
    expect([...first.child.linesStarting("CALL store.cleanup"), ...second.child.linesStarting("CALL store.cleanup")]).toHaveLength(1);
    // The idle timer fires at its original deadline, never before, and not a full idle period
    // after the restart (a restarted clock is created no earlier than the new process starts).
    expect(ended.at).toBeGreaterThanOrEqual(idleUntil!);
    expect(ended.at).toBeLessThan(second.child.startedAt + idleMs);

    expect(await log("ada")).toEqual(["login", "activity-1", "activity-2", "cleanup"]);
    const view = await getJson<SessionView>(`${second.url}/sessions/ada`);
    expect(view.body).toMatchObject({ state: "ended", summary: { user: "ada", activities: 2 } });
  });

  it("a crash inside the activity step re-runs only that step; the log keeps one entry per activity", async () => {
    const first = await startServer("after:store.recordActivity");
    await postJson(`${first.url}/sessions/bea`);
    await postJson(`${first.url}/sessions/bea/activities`, { kind: "search" });
    await first.child.waitFor("HANG after:store.recordActivity");
    await first.child.kill();

    const second = await startServer();
    await second.child.waitFor("DONE store.recordActivity");
    expect((await postJson(`${second.url}/sessions/bea/activities`, { kind: "buy" })).body).toMatchObject({ activity: 2 });
    await second.child.waitFor("ENDED session-bea", 10_000);

    const recorded = second.child.linesStarting("CALL store.recordActivity ").map((line) => JSON.parse(line.slice("CALL store.recordActivity ".length)) as [string, number]);
    expect(recorded.map(([, n]) => n)).toEqual([1, 2]);
    expect(await log("bea")).toEqual(["login", "activity-1", "activity-2", "cleanup"]);
    expect((await postJson(`${second.url}/sessions/bea/activities`, { kind: "late" })).status).toBe(409);
  });

  it.each([5, 6])("seeded: activities, a kill at a random moment, more activities (seed %i): each recorded once", async (seed) => {
    const random = new SeededRandom(seed);
    const before = random.int(1, 3);
    const after = random.int(0, 2);
    // The session must outlive the restart for the activities after it to count: on a loaded
    // machine starting the process again took longer than IDLE_MS, the session (rightly) ended at
    // its deadline, and the later activities were refused.
    const idleMs = 6_000;
    let server = await startServer(undefined, idleMs);
    await postJson(`${server.url}/sessions/cy`);
    for (let i = 0; i < before; i++) await postJson(`${server.url}/sessions/cy/activities`, { kind: `before-${i}` });
    await sleep(random.int(0, 400));
    await server.child.kill();

    server = await startServer(undefined, idleMs);
    for (let i = 0; i < after; i++) await postJson(`${server.url}/sessions/cy/activities`, { kind: `after-${i}` });
    const ended = await server.child.waitFor("ENDED session-cy", idleMs + 15_000);

    const entries = await log("cy");
    expect(entries).toEqual(["login", ...Array.from({ length: before + after }, (_, i) => `activity-${i + 1}`), "cleanup"]);
    expect(JSON.parse(ended.text.split(" ").slice(2).join(" "))).toMatchObject({ activities: before + after });
  });
});

async function waitForLines(child: ExampleProcess, prefix: string, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (child.linesStarting(prefix).length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} "${prefix}" lines\n${child.transcript()}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
