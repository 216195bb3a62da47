/**
 * Suspension is decided from the state of the strands, not by waiting for the event loop to go
 * quiet: these tests pin that down, and the accounting of strands that wait for each other.
 */
import { describe, expect, it } from "vitest";
import type { Context } from "../../src/engine/context.js";
import { Execution } from "../../src/engine/execution.js";
import type { Outcome } from "../../src/engine/outcome.js";
import { decodeValue } from "../../src/protocol/codec.js";
import { FakeEffects, run } from "./fake-effects.js";

/** Whether `outcome` settles before a macrotask queued now gets its turn. */
async function settlesWithinTurn(outcome: Promise<Outcome>): Promise<boolean> {
  let turned = false;
  setImmediate(() => (turned = true));
  await outcome;
  return !turned;
}

describe("suspension", () => {
  it("is decided as soon as the last strand blocks, without a turn of the event loop", async () => {
    const effects = new FakeEffects();
    function step(): number {
      return 1;
    }
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.run(step);
      yield* ctx.sleep(60_000);
    }
    const outcome = run(effects, flow);
    expect(await settlesWithinTurn(outcome)).toBe(true);
    expect(await outcome).toEqual({ type: "suspended", awaiting: ["wf.2"] });
  });

  it("waits for a running beginRun step before suspending, and records it", async () => {
    const effects = new FakeEffects();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function slow(): Promise<string> {
      await gate;
      return "done";
    }
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.beginRun(slow);
      yield* ctx.sleep(60_000);
    }
    const outcome = run(effects, flow);
    let ended = false;
    void outcome.then(() => (ended = true));
    await new Promise((resolve) => setImmediate(resolve));
    // The root is blocked on its timer, but the step still runs: no decision yet.
    expect(ended).toBe(false);
    release();
    expect(await outcome).toEqual({ type: "suspended", awaiting: ["wf.2"] });
    expect(effects.records.get("wf.1")?.state).toBe("resolved");
  });

  it("suspends on everything the strands wait for when a future waits on a blocked strand", async () => {
    const effects = new FakeEffects();
    function* child(ctx: Context): Generator<unknown, string, unknown> {
      const signal = yield* ctx.promise<string>();
      return yield* signal;
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      const future = yield* ctx.beginRun(child);
      yield* ctx.timer(1_000);
      return yield* future;
    }
    const outcome = await run(effects, flow);
    expect(outcome).toEqual({ type: "suspended", awaiting: ["wf.1.1"] });
    effects.external("wf.1.1", "resolved", { data: Buffer.from('"hi"').toString("base64") });
    const finished = await run(effects, flow);
    expect(finished.type === "completed" && decodeValue(finished.value)).toBe("hi");
  });

  it("closes every observation when the run suspends, a child workflow's included", async () => {
    const effects = new FakeEffects();
    const open = new Set<string>();
    const observer = {
      observe<T extends { ok: boolean }>(call: { id: string; kind: string }, run: () => Promise<T>): Promise<T> {
        open.add(`${call.kind} ${call.id}`);
        return run().finally(() => open.delete(`${call.kind} ${call.id}`));
      },
    };
    function step(): number {
      return 1;
    }
    function* child(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.run(step);
      yield* ctx.sleep(60_000);
    }
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.run(child);
    }
    const outcome = await new Execution({ id: "wf", name: "flow", func: flow, args: [], timeoutAt: effects.clock + 3_600_000 }, { effects, observer, clock: effects.time, group: "default" }).run();
    expect(outcome).toEqual({ type: "suspended", awaiting: ["wf.1.2"] });
    await new Promise((resolve) => setImmediate(resolve));
    // A suspended run holds nothing open: no span, no entry in a map of running calls.
    expect([...open]).toEqual([]);
  });

  it("takes a step's retries on the injected clock: an hour of backoff costs no real time", async () => {
    const effects = new FakeEffects();
    let attempts = 0;
    function flaky(): string {
      if (++attempts < 4) throw new Error("not yet");
      return "ok";
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      return yield* ctx.run(flaky, ctx.options({ retryPolicy: { delayBefore: () => 10 * 60_000 } }));
    }
    const before = effects.clock;
    // Real waits of ten minutes would blow the test's own timeout long before the end.
    const outcome = await run(effects, flow);
    expect(outcome.type === "completed" && decodeValue(outcome.value)).toBe("ok");
    expect(effects.clock - before).toBe(30 * 60_000);
  });
});
