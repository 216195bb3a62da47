/**
 * reprise.stop() in any order against start-up (issue 12, item 1): before start-up finished, twice,
 * after a failed start, and in `try { run } finally { stop }` with a run that fails early. The
 * child-process test is the bound on "ends cleanly": a timer or handle left behind keeps the child
 * alive, and a stop() that never resolves ends it with Node's unsettled top-level await (exit 13).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, Reprise, type Context } from "../../src/index.js";
import type { Admission } from "../../src/sdk/admission.js";
import type { ProtocolClient } from "../../src/sdk/client.js";
import { Sweeper } from "../../src/sdk/sweeper.js";
import { FakeTransport } from "./fixtures/fake-transports.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "reprise-stop-"));
  dirs.push(dir);
  return join(dir, "reprise.db");
}

function echo(_ctx: Context, value: string): string {
  return value;
}

function* oneStep(ctx: Context, value: string): Generator<unknown, string, unknown> {
  return yield* ctx.run(echo, value);
}

describe("reprise.stop()", { timeout: 40_000 }, () => {
  it("returns while the transport is still subscribing, closes it, and start-up reports the stop", async () => {
    const transport = new FakeTransport("never");
    const reprise = new Reprise({ transport, logLevel: "silent" });
    await reprise.stop();
    expect(transport.closes).toBe(1);
    await expect(reprise.ready()).rejects.toThrow(/stopped/);
    await expect(reprise.run("x", "nothing")).rejects.toThrow();
  });

  it("closes what a failed start-up opened, and stop() after it ends", async () => {
    const transport = new FakeTransport("reject");
    const reprise = new Reprise({ transport, logLevel: "silent" });
    await expect(reprise.ready()).rejects.toThrow("subscribe refused");
    expect(transport.closes).toBe(1);
    await reprise.stop();
    expect(transport.closes).toBe(1);
  });

  it("closes the transport when the options are refused during start-up", async () => {
    const transport = new FakeTransport("ok");
    const reprise = new Reprise({ transport, logLevel: "silent", determinism: "loud" as never });
    await expect(reprise.ready()).rejects.toThrow(InvalidArgumentError);
    expect(transport.closes).toBe(1);
    await reprise.stop();
  });

  it("a second stop() waits for the first to finish closing", async () => {
    const transport = new FakeTransport("ok");
    let release!: () => void;
    transport.closeGate = new Promise<void>((resolve) => (release = resolve));
    const reprise = new Reprise({ transport, logLevel: "silent" });
    await reprise.ready();
    const order: string[] = [];
    const first = reprise.stop().then(() => order.push("first"));
    const second = reprise.stop().then(() => order.push("second"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(order.sort()).toEqual(["first", "second"]);
    expect(transport.closes).toBe(1);
  });

  it("ends cleanly after a run that fails early (try { run } finally { stop })", async () => {
    const reprise = new Reprise({ store: dbPath(), logLevel: "silent" });
    await expect(
      (async () => {
        try {
          await reprise.run("x", "notRegistered");
        } finally {
          await reprise.stop();
        }
      })(),
    ).rejects.toThrow(/not registered/);
    await expect(reprise.ready()).rejects.toThrow(/stopped/);
  });

  it("refuses to wait for a result after stop() instead of polling a closed store for ever", async () => {
    const reprise = new Reprise({ store: dbPath(), logLevel: "silent" });
    reprise.register(oneStep);
    const handle = await reprise.beginRun("one", oneStep, "v");
    expect(await handle.result()).toBe("v");
    await reprise.stop();
    await expect(handle.result()).rejects.toThrow(/stopped/);
  });

  it("leaves nothing running: a child process stopping in every order exits by itself", async () => {
    const script = fileURLToPath(new URL("./fixtures/stop-orders.ts", import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), "reprise-stop-child-"));
    dirs.push(dir);
    const child = spawn(process.execPath, ["--import", "tsx", script, dir], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    // The bound: a leaked interval would keep the child alive for ever; 30 s is far beyond its work.
    const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
    clearTimeout(bound);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining("every order stopped") as unknown });
  });

  it("a sweeper stopped before it starts arms no timer (the cause of the old hang)", async () => {
    const sweeps: string[] = [];
    const sweeper = new Sweeper({
      client: {} as ProtocolClient,
      admission: { queuedCount: 0 } as Admission,
      embedded: true,
      pid: "me",
      ttl: 60_000,
      runTakenOver: () => sweeps.push("takeOver"),
      maxQueued: 1,
      onError: (error) => sweeps.push(String(error)),
    });
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout" || kind === "Immediate").length;
    const before = timers();
    sweeper.stop();
    sweeper.start();
    expect(timers()).toBe(before);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sweeps).toEqual([]);
  });
});
