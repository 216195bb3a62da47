/**
 * A process keeps the leases of everything it runs, however many: a heartbeat names at most
 * MAX_BATCH tasks, and a process may run ten times as many executions at once. A lease that runs
 * out hands its execution out again, so its step runs twice.
 */
import { describe, expect, it } from "vitest";
import type { Context } from "../../src/index.js";
import { MAX_BATCH } from "../../src/protocol/limits.js";
import { embeddedInstances } from "./fixtures/embedded.js";

const embedded = embeddedInstances("reprise-lease-renewal-");

describe("lease renewal", () => {
  it("keeps the leases of more executions than one heartbeat names, while their steps outlast the lease", async () => {
    const count = MAX_BATCH + 200;
    // Heartbeats every 400 ms (a loaded machine still makes each in time); each step runs for three leases.
    const ttl = 1200;
    const reprise = embedded.open({ ttl, logLevel: "silent" });
    const runs = new Map<number, number>();
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function slow(_ctx: Context, i: number): Promise<number> {
      runs.set(i, (runs.get(i) ?? 0) + 1);
      started++;
      await gate;
      return i;
    }
    function* wf(ctx: Context, i: number): Generator<unknown, number, unknown> {
      return yield* ctx.run(slow, i);
    }
    reprise.register("wf", wf);
    const handles = await Promise.all(Array.from({ length: count }, (_, i) => reprise.beginRun(`lease-${i}`, "wf", i)));
    while (started < count) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 3 * ttl));
    release();
    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results).toEqual(Array.from({ length: count }, (_, i) => i));
    const twice = [...runs].filter(([, n]) => n > 1).map(([i]) => i);
    expect(twice).toEqual([]);
    expect(runs.size).toBe(count);
  }, 60_000);
});
