/**
 * Compatibility with the official client: a worker written with @resonatehq/sdk (a separate
 * process) runs a generator with ctx.run and ctx.sleep against a Reprise server, including after
 * being SIGKILLed mid-workflow and replaced by a new worker process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { kill, readLog, startChild, until, type Child } from "../e2e/child.js";
import { TAG } from "../../src/protocol/tags.js";
import { base64Json, eventually, fromBase64Json, startTestServer, type TestServer } from "./harness.js";

const GROUP = "official";
let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), "reprise-compat-"));
const children: Child[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(log: string): Promise<Child> {
  const child = startChild("../server/fixtures/official-worker.mjs", { URL: server.url, GROUP, LOG: log, TTL: "2000" });
  children.push(child);
  await until(() => child.output().includes("READY") || child.process.exitCode !== null, 20_000, "the official worker to start");
  await eventually(async () => {
    const { workers } = (await server.get("/workers")).body as { workers: { group: string; pid: string }[] };
    return workers.some((w) => w.group === GROUP) ? true : undefined;
  }, 10_000, "the official worker to connect");
  return child;
}

/** Starts `countdown(n, pauseMs)` the way `reprise invoke` (and the SDK's rpc) does. */
async function invoke(id: string, n: number, pauseMs: number): Promise<void> {
  const created = await server.send("promise.create", {
    id,
    timeoutAt: Date.now() + 60_000,
    param: { headers: {}, data: base64Json({ func: "countdown", args: [n, pauseMs], version: 1 }) },
    tags: {
      [TAG.target]: `poll://any@${GROUP}`,
      [TAG.scope]: "global",
      [TAG.origin]: id,
      [TAG.branch]: id,
      [TAG.parent]: id,
    },
  });
  expect(created.status).toBe(200);
}

async function result(id: string, timeoutMs: number): Promise<{ state: string; value: unknown }> {
  return eventually(async () => {
    const { promise } = (await server.get(`/promises/${id}`)).body as { promise: { state: string; value: { data?: string } } };
    return promise.state === "pending" ? undefined : { state: promise.state, value: fromBase64Json(promise.value.data) };
  }, timeoutMs, `${id} to settle`);
}

const stepsOf = (log: string) => readLog(log).map((line) => line.split(" ")) as [pid: string, word: string, step: string][];

describe("a worker built with @resonatehq/sdk", () => {
  it("runs a generator with ctx.run and ctx.sleep to the right result", async () => {
    const log = join(dir, "plain.log");
    await startWorker(log);
    await invoke("compat-plain", 3, 50);
    expect(await result("compat-plain", 20_000)).toEqual({ state: "resolved", value: { total: 60, steps: 3 } });
    expect(stepsOf(log).map(([, , step]) => step)).toEqual(["1", "2", "3"]);

    const tree = (await server.get("/promises/compat-plain/tree")).body.tree as { children: { kind?: string }[] };
    expect(tree.children.map((child) => child.kind)).toEqual(["step", "sleep", "step", "sleep", "step", "sleep"]);
  });

  it("finishes the workflow in a new worker process after the first is SIGKILLed mid-workflow", async () => {
    const log = join(dir, "crash.log");
    const first = await startWorker(log);
    await invoke("compat-crash", 4, 400);
    await until(() => stepsOf(log).length >= 2, 20_000, "two steps before the kill");
    await kill(first);
    const stepsBeforeKill = stepsOf(log).length;

    const second = await startWorker(log);
    expect(await result("compat-crash", 30_000)).toEqual({ state: "resolved", value: { total: 100, steps: 4 } });

    const steps = stepsOf(log);
    const firstPid = String(first.process.pid);
    const secondPid = String(second.process.pid);
    // Every step ran; the new process took over where the dead one stopped, without redoing step 1.
    expect(new Set(steps.map(([, , step]) => step))).toEqual(new Set(["1", "2", "3", "4"]));
    expect(steps.slice(0, stepsBeforeKill).every(([pid]) => pid === firstPid)).toBe(true);
    expect(steps.filter(([pid]) => pid === secondPid).map(([, , step]) => step)).not.toContain("1");
    expect(steps.some(([pid, , step]) => pid === secondPid && step === "4")).toBe(true);
  });
});
