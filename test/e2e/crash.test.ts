/**
 * Crash tests with real processes: a workflow runs in a child process on a SQLite file; the test
 * kills it with SIGKILL at seeded random points and at step boundaries, restarts it, and checks
 * the effects in the side-effect log. Replay any failure with CRASH_SEED=<seed>.
 */
import { describe, expect, it } from "vitest";
import { dataOf } from "../../src/protocol/requests.js";
import { openStore } from "../../src/store/index.js";
import { kill, readLog, seeded, startChild, until, type Child } from "./child.js";
import { perTest } from "./per-test.js";

const FIXTURE = "./fixtures/crash-workflows.ts";
const { workspace, track } = perTest("reprise-crash-", "reprise.db");

function start(env: Record<string, string>): Child {
  return track(startChild(FIXTURE, env));
}

const entries = (log: string) => readLog(log).map((line) => ({ at: Number(line.split(" ")[0]), text: line.split(" ").slice(1).join(" ") }));
const count = (log: string, text: string) => entries(log).filter((e) => e.text === text).length;

async function finish(child: Child): Promise<unknown> {
  const code = await Promise.race([child.exited, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 30_000))]);
  expect(code, child.output()).toBe(0);
  const line = child.output().split("\n").find((l) => l.startsWith("RESULT "));
  expect(line, child.output()).toBeDefined();
  return JSON.parse(line!.slice("RESULT ".length)) as unknown;
}

describe("a workflow killed with SIGKILL over and over", () => {
  const seed = Number(process.env.CRASH_SEED ?? 20261129);

  it.each([
    ["a generator", "pipeline", 22],
    ["an async", "asyncPipeline", 10],
  ])(`%s workflow finishes with every step done once, twice only when a kill fell right after it (seed ${seed})`, async (_form, workflow, wantedKills) => {
    const random = seeded(seed);
    const { db, log } = workspace();
    const steps = 100;
    const env = { DB: db, LOG: log, WORKFLOW: workflow, ID: "pipeline-1", STEPS: String(steps), STEP_MS: "10" };
    let kills = 0;
    const killedAfterDone = new Map<string, number>();
    let finishedEarly = false;

    while (kills < wantedKills) {
      const before = readLog(log).length;
      const child = start(env);
      await until(() => readLog(log).length > before || child.process.exitCode !== null, 20_000, "the child to start");
      if (random() < 0.5) {
        // At a step boundary: right after a step's effect, before or after its result is stored.
        const seen = readLog(log).length;
        await until(() => readLog(log).slice(seen).some((l) => l.includes(" done ")) || child.process.exitCode !== null, 20_000, "a step to finish");
      } else {
        // Anywhere: possibly in the middle of a step.
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 120)));
      }
      if (child.process.exitCode !== null) {
        finishedEarly = true;
        break;
      }
      await kill(child);
      kills++;
      const last = entries(log).at(-1)?.text ?? "";
      if (last.startsWith("done ")) {
        const step = last.slice("done ".length);
        killedAfterDone.set(step, (killedAfterDone.get(step) ?? 0) + 1);
      }
    }

    expect(finishedEarly, "the workflow outran the kills; make it longer").toBe(false);
    expect(kills).toBe(wantedKills);
    const result = await finish(start(env));
    expect(result).toEqual(Array.from({ length: steps }, (_, i) => `step${i + 1}-ok`));

    // Nothing lost, nothing duplicated: one root, exactly one resolved promise per step.
    const store = await openStore(db);
    const children = await store.apply({ kind: "promise.search", head: { corrId: "c", version: "v" }, data: { id: "pipeline-1.*", limit: 1000 } });
    const root = await store.apply({ kind: "promise.get", head: { corrId: "c", version: "v" }, data: { id: "pipeline-1" } });
    await store.close();
    expect(dataOf(root).promise.state).toBe("resolved");
    const records = dataOf(children).promises;
    expect(records).toHaveLength(steps);
    expect(records.every((p) => p.state === "resolved")).toBe(true);

    for (let i = 1; i <= steps; i++) {
      const step = `step${i}`;
      const done = count(log, `done ${step}`);
      expect(done, `${step} effects`).toBeGreaterThanOrEqual(1);
      expect(done, `${step} ran again only if a kill landed right after its effect`).toBeLessThanOrEqual(1 + (killedAfterDone.get(step) ?? 0));
    }
    // Steps happened in order: no step began before the previous one was done.
    const firstDone = (step: number) => entries(log).findIndex((e) => e.text === `done step${step}`);
    const firstBegin = (step: number) => entries(log).findIndex((e) => e.text === `begin step${step}`);
    for (let i = 2; i <= steps; i++) expect(firstBegin(i)).toBeGreaterThan(firstDone(i - 1));
  }, 180_000);

  it("keeps a sleeping workflow's original deadline across a kill", async () => {
    const { db, log } = workspace();
    const sleepMs = 4000;
    const env = { DB: db, LOG: log, WORKFLOW: "sleeper", ID: "sleeper-1", SLEEP_MS: String(sleepMs), STEP_MS: "5" };
    const first = start(env);
    await until(() => count(log, "done before") === 1, 20_000, "the step before the sleep");
    const sleptAt = entries(log).find((e) => e.text === "done before")!.at;
    await new Promise((resolve) => setTimeout(resolve, 800));
    await kill(first);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(await finish(start(env))).toBe("slept");
    const wokeAt = entries(log).find((e) => e.text === "begin after")!.at;
    expect(wokeAt).toBeGreaterThanOrEqual(sleptAt + sleepMs - 50);
    // Had the timer restarted with the process, it would fire sleepMs after the new process made
    // its Reprise: after its "start" line. (The line, not the spawn: a loaded machine can take
    // seconds to load a child's code, which would eat the margin.)
    const restartedAt = entries(log).filter((e) => / start$/.test(e.text)).at(-1)!.at;
    expect(restartedAt).toBeGreaterThan(sleptAt);
    expect(wokeAt).toBeLessThan(restartedAt + sleepMs - 500);
    expect(count(log, "done before")).toBe(1);
    expect(count(log, "done after")).toBe(1);
  }, 60_000);
});
