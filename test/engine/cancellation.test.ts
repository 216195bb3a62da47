import { describe, expect, it } from "vitest";
import type { AsyncContext } from "../../src/engine/async-context.js";
import type { Context } from "../../src/engine/context.js";
import { CancelledError } from "../../src/engine/errors.js";
import { Execution } from "../../src/engine/execution.js";
import type { Outcome } from "../../src/engine/outcome.js";
import { decodeValue, encodeValue } from "../../src/protocol/codec.js";
import { TAG } from "../../src/protocol/tags.js";
import { completedValue, FakeEffects, run } from "./fake-effects.js";

/** What reprise.cancel records: the request `${id}.cancel`, its param the reason. */
function requestCancel(effects: FakeEffects, reason?: string, id = "wf"): void {
  effects.records.set(`${id}.cancel`, {
    id: `${id}.cancel`,
    state: "resolved",
    param: reason === undefined ? {} : encodeValue(reason),
    value: {},
    tags: { [TAG.kind]: "cancel" },
    timeoutAt: effects.clock + 3_600_000,
    createdAt: effects.clock,
    settledAt: effects.clock,
  });
}

function errorOf(outcome: Outcome): { name?: string; executionId?: string; reason?: string } {
  return completedValue(outcome) as { name?: string };
}

describe("cancellation", () => {
  it("throws CancelledError at a suspended sleep, settles it rejected_canceled, runs the cleanup once, ends rejected_canceled", async () => {
    const effects = new FakeEffects();
    const ran: string[] = [];
    function charge(): string {
      ran.push("charge");
      return "charged";
    }
    function refund(): string {
      ran.push("refund");
      return "refunded";
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.run(charge);
      try {
        yield* ctx.sleep(60_000);
        return "done";
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
        yield* ctx.run(refund);
        throw error;
      }
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["wf.2"] });
    requestCancel(effects, "customer left");
    const outcome = await run(effects, flow);
    expect(outcome).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(errorOf(outcome)).toMatchObject({ name: "CancelledError", executionId: "wf", reason: "customer left" });
    expect(effects.records.get("wf.2")?.state).toBe("rejected_canceled");
    expect(effects.records.get("wf.3")?.state).toBe("resolved");
    // A replay (the run crashed before its end was recorded) answers from the records: nothing runs again.
    const again = await run(effects, flow);
    expect(again).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(ran).toEqual(["charge", "refund"]);
  });

  it("ends rejected_canceled even when the body swallows the CancelledError and returns", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      try {
        yield* ctx.sleep(1_000);
      } catch {
        return "swallowed";
      }
      return "slept";
    }
    await run(effects, flow);
    requestCancel(effects);
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
  });

  it("lets an execution whose body had already finished end with its own result", async () => {
    const effects = new FakeEffects();
    function step(): number {
      return 7;
    }
    function* flow(ctx: Context): Generator<unknown, number, unknown> {
      return yield* ctx.run(step);
    }
    await run(effects, flow);
    requestCancel(effects);
    const outcome = await run(effects, flow);
    expect(outcome).toMatchObject({ type: "completed", state: "resolved" });
  });

  it("does not start a step that has no record: the CancelledError lands there", async () => {
    const effects = new FakeEffects();
    let started = false;
    function step(): void {
      started = true;
    }
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.run(step);
    }
    requestCancel(effects);
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(started).toBe(false);
    expect(effects.records.has("wf.1")).toBe(false);
  });

  it("cancels an external promise and asks an rpc'd child execution to cancel, also the ones never awaited", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.beginRpc("elsewhere");
      const signal = yield* ctx.promise<string>();
      yield* signal;
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["wf.2"] });
    requestCancel(effects);
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(effects.records.get("wf.2")?.state).toBe("rejected_canceled");
    expect(effects.childCancels).toEqual(["wf.1"]);
    expect(effects.records.get("wf.1.cancel")?.tags[TAG.origin]).toBe("wf");
  });

  it("throws at an awaited rpc in flight and keeps throwing there on replay even if the callee finishes", async () => {
    const effects = new FakeEffects();
    const seen: string[] = [];
    function note(_ctx: Context, what: string): void {
      seen.push(what);
    }
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      try {
        yield* ctx.rpc("elsewhere");
      } catch (error) {
        yield* ctx.run(note, (error as Error).name);
        throw error;
      }
    }
    await run(effects, flow);
    requestCancel(effects);
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
    // The callee resolved after being asked to cancel: the parent's history must not change.
    effects.external("wf.1", "resolved", encodeValue("late"));
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(seen).toEqual(["CancelledError"]);
  });

  it("reaches a child workflow: its own cleanup runs, and it ends cancelled", async () => {
    const effects = new FakeEffects();
    const ran: string[] = [];
    function undo(_ctx: Context, what: string): void {
      ran.push(what);
    }
    function* child(ctx: Context): Generator<unknown, void, unknown> {
      try {
        yield* ctx.sleep(60_000);
      } finally {
        yield* ctx.run(undo, "child");
      }
    }
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      try {
        yield* ctx.run(child);
      } finally {
        yield* ctx.run(undo, "parent");
      }
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["wf.1.1"] });
    requestCancel(effects);
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(ran).toEqual(["child", "parent"]);
    expect(effects.records.get("wf.1")?.state).toBe("rejected_canceled");
    expect(effects.records.get("wf.1.1")?.state).toBe("rejected_canceled");
  });

  it("aborts the signal of a step running when the cancellation arrives, and records it as cancelled", async () => {
    const effects = new FakeEffects();
    let aborted = false;
    let release!: () => void;
    const started = new Promise<void>((resolve) => (release = resolve));
    async function slow(ctx: Context): Promise<string> {
      release();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      aborted = ctx.signal.aborted;
      throw ctx.signal.reason;
    }
    function cleanup(ctx: Context): boolean {
      return ctx.signal.aborted;
    }
    let cleanupSawAborted: unknown;
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      try {
        yield* ctx.run(slow);
      } catch (error) {
        cleanupSawAborted = yield* ctx.run(cleanup);
        throw error;
      }
    }
    const execution = new Execution({ id: "wf", name: "flow", func: flow, args: [], timeoutAt: effects.clock + 3_600_000 }, { effects, clock: effects.time, group: "default" });
    const outcome = execution.run();
    await started;
    execution.cancel("stop");
    expect(await outcome).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(aborted).toBe(true);
    expect(cleanupSawAborted).toBe(false);
    expect(decodeValue(effects.records.get("wf.1")!.value)).toMatchObject({ name: "CancelledError", reason: "stop" });
    // Its replay, with the request now in the history, agrees.
    requestCancel(effects, "stop");
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
  });

  it("cancels what a race waits for and throws at the race", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, unknown, unknown> {
      const timer = yield* ctx.timer(60_000);
      const signal = yield* ctx.promise();
      return yield* ctx.race([timer, signal]);
    }
    await run(effects, flow);
    requestCancel(effects);
    expect(await run(effects, flow)).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(effects.records.get("wf.1")?.state).toBe("rejected_canceled");
    expect(effects.records.get("wf.2")?.state).toBe("rejected_canceled");
  });

  it("ends rejected_canceled when the cleanup throws another error", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      try {
        yield* ctx.sleep(1_000);
      } catch {
        throw new Error("cleanup failed");
      }
    }
    await run(effects, flow);
    requestCancel(effects);
    const outcome = await run(effects, flow);
    expect(outcome).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(errorOf(outcome)).toMatchObject({ name: "CancelledError" });
  });

  it("reaches an async workflow at its current await", async () => {
    const effects = new FakeEffects();
    const ran: string[] = [];
    function undo(): void {
      ran.push("undo");
    }
    async function flow(ctx: AsyncContext): Promise<string> {
      try {
        await ctx.sleep(60_000);
        return "slept";
      } catch (error) {
        await ctx.run(undo);
        throw error;
      }
    }
    const root = { id: "wf", name: "flow", func: flow, args: [] };
    expect(await effects.run(root)).toEqual({ type: "suspended", awaiting: ["wf.1"] });
    requestCancel(effects);
    expect(await effects.run(root)).toMatchObject({ type: "completed", state: "rejected_canceled" });
    expect(ran).toEqual(["undo"]);
  });
});
