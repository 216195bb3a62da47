import { describe, expect, it } from "vitest";
import type { Context } from "../../src/engine/context.js";
import { DeterminismGuard, type DeterminismViolation } from "../../src/engine/determinism.js";
import { decodeValue } from "../../src/protocol/codec.js";
import { FakeEffects } from "./fake-effects.js";

function step(): number {
  // Inside a step the world is allowed: none of this is reported.
  return Date.now() + Math.random() + new Date().getTime();
}

describe("determinism guard", () => {
  it("reports Date.now, new Date(), Math.random, timers and randomUUID in a workflow body, with the user's line", async () => {
    const effects = new FakeEffects();
    const seen: DeterminismViolation[] = [];
    const guard = new DeterminismGuard("warn", (violation) => seen.push(violation));
    function* flow(ctx: Context): Generator<unknown, number, unknown> {
      const a = Date.now();
      yield* ctx.run(step);
      const b = new Date().getTime() + Math.random();
      const timer = setTimeout(() => {}, 0);
      clearTimeout(timer);
      crypto.randomUUID();
      return a + b;
    }
    const outcome = await effects.run({ id: "wf", name: "flow", func: flow, args: [] }, guard);
    expect(outcome.type).toBe("completed");
    expect(seen.map((v) => v.call)).toEqual(["Date.now()", "new Date()", "Math.random()", "setTimeout()", "crypto.randomUUID()"]);
    expect(seen[0]).toMatchObject({ instead: "yield* ctx.date.now()", executionId: "wf", func: "flow" });
    expect(seen[0]!.location).toMatch(/determinism\.test\.ts:\d+:\d+/);
    // Replays report a location once, not on every run.
    await effects.run({ id: "wf", name: "flow", func: flow, args: [] }, guard);
    expect(seen).toHaveLength(5);
  });

  it("throws into the workflow in error mode, and leaves the globals as they were", async () => {
    const effects = new FakeEffects();
    const guard = new DeterminismGuard("error", () => {});
    const originalNow = Date.now;
    const OriginalDate = Date;
    function* flow(): Generator<unknown, string, unknown> {
      try {
        Math.random();
        return "unreachable";
      } catch (error) {
        return (error as Error).message;
      }
    }
    const outcome = await effects.run({ id: "wf", name: "flow", func: flow, args: [] }, guard);
    expect(outcome.type === "completed" && decodeValue(outcome.value)).toMatch(/called Math\.random\(\).*use yield\* ctx\.math\.random\(\)/);
    expect(Date.now).toBe(originalNow);
    expect(Date).toBe(OriginalDate);
    expect(new Date(5) instanceof Date).toBe(true);
  });

  it("leaves the workflow's checkpointed calls and explicit dates alone", async () => {
    const effects = new FakeEffects();
    const seen: DeterminismViolation[] = [];
    const guard = new DeterminismGuard("warn", (violation) => seen.push(violation));
    function* flow(ctx: Context): Generator<unknown, number, unknown> {
      const now = yield* ctx.date.now();
      return new Date(now).getTime() + (yield* ctx.math.random());
    }
    await effects.run({ id: "wf", name: "flow", func: flow, args: [] }, guard);
    expect(seen).toEqual([]);
  });
});
