/**
 * Compatibility with the official client: a worker written with @resonatehq/sdk (a separate
 * process) runs a generator with ctx.run and ctx.sleep against a Reprise server, including after
 * being SIGKILLed mid-workflow and replaced by a new worker process; a big step result and ids with
 * spaces complete as in the SDK's local mode; a write the server must refuse backs off.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { kill, readLog, startChild, until, type Child } from "../e2e/child.js";
import { TAG } from "../../src/protocol/tags.js";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { answer, base64Json, eventually, fromBase64Json, startTestServer, workerConnected, type TestServer } from "./harness.js";

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

async function startWorker(log: string, url = server.url): Promise<Child> {
  const child = startChild("../server/fixtures/official-worker.mjs", { URL: url, GROUP, LOG: log, TTL: "2000" });
  children.push(child);
  await workerConnected(child, url, GROUP, "the official worker");
  return child;
}

/** Starts `countdown(n, pauseMs)` the way `reprise invoke` (and the SDK's rpc) does. */
async function invoke(id: string, n: number, pauseMs: number): Promise<void> {
  await invokeFunc(server.url, id, "countdown", [n, pauseMs]);
}

async function invokeFunc(url: string, id: string, func: string, args: unknown[]): Promise<void> {
  const created = await answer(
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "promise.create", head: { corrId: randomUUID(), version: PROTOCOL_VERSION }, data: createData(id, func, args) }),
    }),
  );
  expect(created.status).toBe(200);
}

function createData(id: string, func: string, args: unknown[]) {
  return {
    id,
    timeoutAt: Date.now() + 120_000,
    param: { headers: {}, data: base64Json({ func, args, version: 1 }) },
    tags: {
      [TAG.target]: `poll://any@${GROUP}`,
      [TAG.scope]: "global",
      [TAG.origin]: id,
      [TAG.branch]: id,
      [TAG.parent]: id,
    },
  };
}

async function result(id: string, timeoutMs: number, url = server.url): Promise<{ state: string; value: unknown }> {
  return eventually(async () => {
    const { promise } = (await answer(fetch(`${url}/promises/${encodeURIComponent(id)}`))).body as { promise: { state: string; value: { data?: string } } };
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

describe("what the official SDK's local mode completes", () => {
  it("completes a step returning 1.5 MiB", async () => {
    const log = join(dir, "big.log");
    await startWorker(log);
    const bytes = 1.5 * 1024 * 1024;
    await invokeFunc(server.url, "compat-big", "bigResult", [bytes]);
    expect(await result("compat-big", 30_000)).toEqual({ state: "resolved", value: { length: bytes, ok: true } });
    // Once: the write of the result was accepted the first time.
    expect(readLog(log)).toHaveLength(1);
  });

  it("completes a workflow whose step and child workflow have ids with spaces and a tab", async () => {
    const log = join(dir, "spaced.log");
    await startWorker(log);
    await invokeFunc(server.url, "compat spaced 42", "spacedChild", [42]);
    expect(await result("compat spaced 42", 30_000)).toEqual({ state: "resolved", value: { charged: 84, refunded: -84 } });
    for (const id of ["charge 42", "refund\t42 for order 42"]) {
      expect(await result(id, 1_000)).toMatchObject({ state: "resolved" });
    }
    expect(readLog(log).map((line) => line.split(" ").slice(1).join(" "))).toEqual(["charge 42", "charge 42"]);
  });
});

/** `reprise serve` as a real process over an in-memory store; resolves to its URL once listening. */
async function serveProcess(args: string[]): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const bin = fileURLToPath(new URL("../../bin/reprise.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "--json", "serve", "--port", "0", "--host", "127.0.0.1", "--store", ":memory:", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  try {
    const url = await eventually(() => /\{"url":"(http:\/\/127\.0\.0\.1:\d+)"\}/.exec(out)?.[1], 20_000, "reprise serve to listen");
    return { url, output: () => out, stop };
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${out}`);
  }
}

describe("a write the server must refuse", () => {
  it("makes the execution wait with backoff instead of re-running the step at once", async () => {
    // A 4 KiB value limit, so a refused write costs an 8 KiB step rather than megabytes.
    const served = await serveProcess(["--max-value-bytes", "4096", "--log-level", "warn"]);
    try {
      const log = join(dir, "refused.log");
      await startWorker(log, served.url);
      await invokeFunc(served.url, "compat-refused", "bigResult", [8192]);
      await until(() => readLog(log).length > 0, 20_000, "the first run of the step");
      // Each delivery of the task runs the step once, then the worker releases the task when the
      // server refuses the step's result. Count deliveries in a 10 s window.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const runs = readLog(log).length;
      console.log(`compat: the refused step ran ${runs} times in 10 s`);
      // Backoff of 1 s doubling after the second release: runs at about 0, 0, 1, 3 and 7 s.
      // Without it (base 0) the step ran about 2,000 times in the window.
      expect(runs).toBeGreaterThanOrEqual(2);
      expect(runs).toBeLessThanOrEqual(6);

      expect(await answer(fetch(`${served.url}/promises/compat-refused`))).toMatchObject({ body: { promise: { state: "pending" } } });
      const { tasks } = (await answer(fetch(`${served.url}/tasks?state=pending`))).body as { tasks: { id: string; releases?: number }[] };
      expect(tasks.find((task) => task.id === "compat-refused")?.releases).toBeGreaterThanOrEqual(2);
      const metrics = await fetch(`${served.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^reprise_tasks_in_backoff 1$/m);
      // The operator is told once, not once per attempt.
      expect(served.output().match(/refused a fenced write/g)).toHaveLength(1);
    } finally {
      await Promise.all(children.splice(0).map(kill));
      await served.stop();
    }
  });
});
