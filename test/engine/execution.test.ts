import { describe, expect, it } from "vitest";
import type { Context } from "../../src/engine/context.js";
import { exponential } from "../../src/engine/retry.js";
import { completedValue as resultOf, FakeEffects, run } from "./fake-effects.js";

describe("execution", () => {
  it("runs steps in order with derived ids and records each result", async () => {
    const effects = new FakeEffects();
    const calls: string[] = [];
    function add(_ctx: Context, a: number, b: number): number {
      calls.push(`add ${a} ${b}`);
      return a + b;
    }
    async function double(_ctx: Context, x: number): Promise<number> {
      calls.push(`double ${x}`);
      return x * 2;
    }
    function* flow(ctx: Context, n: number): Generator<unknown, number, unknown> {
      const sum = yield* ctx.run(add, n, 1);
      return yield* ctx.run(double, sum);
    }
    const outcome = await run(effects, flow, [4]);
    expect(outcome).toMatchObject({ type: "completed", state: "resolved" });
    expect(resultOf(outcome)).toBe(10);
    expect(calls).toEqual(["add 4 1", "double 5"]);
    expect([...effects.records.keys()]).toEqual(["wf.1", "wf.2"]);
    expect(effects.records.get("wf.1")?.state).toBe("resolved");
  });

  it("replays recorded steps without running them again", async () => {
    const effects = new FakeEffects();
    let runs = 0;
    function step(): number {
      runs++;
      return runs;
    }
    function* flow(ctx: Context): Generator<unknown, number[], unknown> {
      return [yield* ctx.run(step), yield* ctx.run(step)];
    }
    expect(resultOf(await run(effects, flow))).toEqual([1, 2]);
    expect(resultOf(await run(effects, flow))).toEqual([1, 2]);
    expect(runs).toBe(2);
  });

  it("replays recorded calls at once: a run reaches its first unrecorded step before run() returns", async () => {
    const effects = new FakeEffects();
    const ran: number[] = [];
    function step(_ctx: Context, n: number): number {
      ran.push(n);
      return n;
    }
    function* flow(ctx: Context, steps: number): Generator<unknown, number, unknown> {
      let sum = 0;
      for (let n = 1; n <= steps; n++) sum += yield* ctx.run(step, n);
      return sum;
    }
    expect(resultOf(await run(effects, flow, [3]))).toBe(6);
    ran.length = 0;
    const writesBefore = effects.recordsWritten;
    // No turn of the microtask queue between the start and the fourth step: a restart that resumes
    // thousands of executions brings each to its interrupted step in the turn it starts it.
    const running = run(effects, flow, [4]);
    expect(ran).toEqual([4]);
    expect(effects.recordsWritten).toBe(writesBefore + 1);
    expect(resultOf(await running)).toBe(10);
  });

  it("records a step that ran here in one write, already settled", async () => {
    const effects = new FakeEffects();
    function step(_ctx: Context, x: number): number {
      return x * 10;
    }
    function* flow(ctx: Context): Generator<unknown, number, unknown> {
      return (yield* ctx.run(step, 1)) + (yield* ctx.run(step, 2));
    }
    expect(resultOf(await run(effects, flow))).toBe(30);
    expect({ creates: effects.creates, settles: effects.settles, records: effects.recordsWritten }).toEqual({ creates: 0, settles: 0, records: 2 });
    expect(effects.records.get("wf.2")).toMatchObject({ state: "resolved", tags: { "reprise:kind": "step", "reprise:func": "step" } });
  });

  it("prefers a record already in the store over the step's own result", async () => {
    const effects = new FakeEffects();
    function step(): string {
      return "fresh";
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      return yield* ctx.run(step);
    }
    await run(effects, flow);
    effects.records.set("wf.1", { ...effects.records.get("wf.1")!, value: { data: Buffer.from('"recorded"').toString("base64") } });
    // The engine is told (wrongly) that wf.1 is new: the write's answer must still win.
    effects.forgetful = true;
    expect(resultOf(await run(effects, flow))).toBe("recorded");
  });

  it("asks the store about a call the known history cannot answer, and runs nothing recorded", async () => {
    const effects = new FakeEffects();
    let runs = 0;
    function step(): number {
      return ++runs;
    }
    function* flow(ctx: Context): Generator<unknown, number[], unknown> {
      return [yield* ctx.run(step), yield* ctx.run(step)];
    }
    await run(effects, flow);
    effects.historyComplete = false;
    const known = new Map(effects.records);
    effects.records.clear();
    // Only reads reach the records now (lookup knows nothing and says it does not know).
    effects.read = async (id) => {
      effects.reads++;
      return known.get(id);
    };
    expect(resultOf(await run(effects, flow))).toEqual([1, 2]);
    expect(runs).toBe(2);
    // One read per recorded call, and one for the execution's cancellation request (wf.cancel).
    expect(effects.reads).toBe(3);
  });

  it("replays a step recorded pending by an earlier version by settling that record", async () => {
    const effects = new FakeEffects();
    function step(): string {
      return "ran";
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      return yield* ctx.run(step);
    }
    effects.records.set("wf.1", {
      id: "wf.1",
      state: "pending",
      param: {},
      value: {},
      tags: { "reprise:kind": "step", "reprise:func": "step" },
      timeoutAt: effects.clock + 10_000,
      createdAt: effects.clock,
    });
    expect(resultOf(await run(effects, flow))).toBe("ran");
    expect({ settles: effects.settles, records: effects.recordsWritten }).toEqual({ settles: 1, records: 0 });
  });

  it("retries a failing step by its policy, then succeeds", async () => {
    const effects = new FakeEffects();
    let attempts = 0;
    function flaky(): string {
      attempts++;
      if (attempts < 3) throw new Error(`boom ${attempts}`);
      return "ok";
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      return yield* ctx.run(flaky, ctx.options({ retryPolicy: exponential({ initialDelayMs: 10, maxRetries: 5 }) }));
    }
    expect(resultOf(await run(effects, flow))).toBe("ok");
    expect(attempts).toBe(3);
  });

  it("throws an exhausted step's error into the generator, where try/catch works", async () => {
    const effects = new FakeEffects();
    function broken(): never {
      throw new TypeError("always broken");
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      try {
        yield* ctx.run(broken, ctx.options({ retryPolicy: exponential({ initialDelayMs: 1, maxRetries: 2 }) }));
        return "unreachable";
      } catch (error) {
        return `caught ${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    expect(resultOf(await run(effects, flow))).toBe("caught RetriesExhaustedError: broken failed 3 times; last error: always broken");
  });

  it("fails a step at once on a non-retryable error", async () => {
    const effects = new FakeEffects();
    let attempts = 0;
    class Declined extends Error {
      override name = "Declined";
    }
    function charge(): never {
      attempts++;
      throw new Declined("card declined");
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.run(charge, ctx.options({ nonRetryableErrors: [Declined] }));
      return "unreachable";
    }
    const outcome = await run(effects, flow);
    expect(outcome).toMatchObject({ type: "completed", state: "rejected" });
    expect((resultOf(outcome) as Error).message).toBe("card declined");
    expect(attempts).toBe(1);
  });

  it("panics with type Panic and code 98, past the generator's try/catch", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      try {
        yield* ctx.panic(true, "exists_diff");
      } catch {
        return "caught";
      }
      return "unreachable";
    }
    const outcome = await run(effects, flow);
    expect(outcome).toMatchObject({ type: "completed", state: "rejected" });
    const error = resultOf(outcome) as Error & { type: string; code: string };
    expect(error.type).toBe("Panic");
    expect(error.code).toBe("98");
    expect(error.message).toContain("exists_diff");
  });

  it("assert panics only when the condition is false", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.assert(true, "fine");
      yield* ctx.assert(false, "ordering violated");
      return "unreachable";
    }
    const error = resultOf(await run(effects, flow)) as Error & { type: string };
    expect(error.type).toBe("Panic");
    expect(error.message).toContain("ordering violated");
  });

  it("detects a replay that calls a different function at the same position", async () => {
    const effects = new FakeEffects();
    function first(): number {
      return 1;
    }
    function second(): number {
      return 2;
    }
    function* v1(ctx: Context): Generator<unknown, number, unknown> {
      return yield* ctx.run(first);
    }
    function* v2(ctx: Context): Generator<unknown, number, unknown> {
      return yield* ctx.run(second);
    }
    await run(effects, v1);
    const error = resultOf(await run(effects, v2)) as Error & { type: string };
    expect(error.type).toBe("Divergence");
    expect(error.message).toContain("wf.1");
    expect(error.message).toContain("step first");
    expect(error.message).toContain("step second");
  });

  it("suspends on a pending timer and completes once it has fired", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.sleep(5_000);
      return "woke";
    }
    const first = await run(effects, flow);
    expect(first).toEqual({ type: "suspended", awaiting: ["wf.1"] });
    expect(effects.records.get("wf.1")?.timeoutAt).toBe(effects.clock + 5_000);
    effects.external("wf.1", "resolved");
    expect(resultOf(await run(effects, flow))).toBe("woke");
  });

  it("replays a fired timer at once: the step after it runs before run() returns", async () => {
    const effects = new FakeEffects();
    const ran: string[] = [];
    function after(): string {
      ran.push("after");
      return "done";
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.sleep(5_000);
      return yield* ctx.run(after);
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["wf.1"] });
    effects.external("wf.1", "resolved");
    const running = run(effects, flow);
    expect(ran).toEqual(["after"]);
    expect(resultOf(await running)).toBe("done");
  });

  it("keeps a timer's original deadline across replays", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.sleep(1_000);
    }
    await run(effects, flow);
    const deadline = effects.records.get("wf.1")!.timeoutAt;
    effects.clock += 700;
    await run(effects, flow);
    expect(effects.records.get("wf.1")!.timeoutAt).toBe(deadline);
  });

  it("runs beginRun steps concurrently and awaits their futures", async () => {
    const effects = new FakeEffects();
    let inFlight = 0;
    let maxInFlight = 0;
    async function slow(_ctx: Context, x: number): Promise<number> {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return x;
    }
    function* flow(ctx: Context): Generator<unknown, number, unknown> {
      const a = yield* ctx.beginRun(slow, 1);
      const b = yield* ctx.beginRun(slow, 2);
      const c = yield* ctx.beginRun(slow, 3);
      return (yield* a) + (yield* b) + (yield* c);
    }
    expect(resultOf(await run(effects, flow))).toBe(6);
    expect(maxInFlight).toBe(3);
  });

  it("gives child workflows their own id space under the parent", async () => {
    const effects = new FakeEffects();
    function leaf(_ctx: Context, x: string): string {
      return x.toUpperCase();
    }
    function* child(ctx: Context, x: string): Generator<unknown, string, unknown> {
      return (yield* ctx.run(leaf, x)) + "!";
    }
    function* parent(ctx: Context): Generator<unknown, string, unknown> {
      const a = yield* ctx.run(child, "a");
      const b = yield* ctx.run(leaf, "b");
      return a + b;
    }
    expect(resultOf(await run(effects, parent))).toBe("A!B");
    expect([...effects.records.keys()].sort()).toEqual(["wf.1", "wf.1.1", "wf.2"]);
    expect(effects.records.get("wf.1")?.tags["reprise:kind"]).toBe("workflow");
  });

  it("waits on an external durable promise and reads its value", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      const approval = yield* ctx.promise<string>({ timeout: 60_000 });
      return `approved by ${yield* approval}`;
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["wf.1"] });
    effects.external("wf.1", "resolved", { data: Buffer.from(JSON.stringify("ada")).toString("base64") });
    expect(resultOf(await run(effects, flow))).toBe("approved by ada");
  });

  it("throws a timed-out promise into the generator", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      const signal = yield* ctx.promise();
      try {
        yield* signal;
        return "signalled";
      } catch (error) {
        return (error as { type: string }).type;
      }
    }
    await run(effects, flow);
    effects.external("wf.1", "rejected_timedout");
    expect(resultOf(await run(effects, flow))).toBe("Timeout");
  });

  it("races a signal against a timer and records the winner for every replay", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      const activity = yield* ctx.promise<string>();
      const idle = yield* ctx.timer(30_000);
      const first = yield* ctx.race<unknown>([activity, idle]);
      return first.index === 0 ? `activity ${String(first.value)}` : "idle";
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["wf.1", "wf.2"] });
    effects.external("wf.2", "resolved");
    expect(resultOf(await run(effects, flow))).toBe("idle");
    // The activity arriving later does not change the recorded outcome.
    effects.external("wf.1", "resolved", { data: Buffer.from('"late"').toString("base64") });
    expect(resultOf(await run(effects, flow))).toBe("idle");
  });

  it("races by settle time when both futures settled while nothing ran", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      const cancel = yield* ctx.promise<string>();
      const window = yield* ctx.timer(5_000);
      const first = yield* ctx.race<unknown>([cancel, window]);
      return first.index === 0 ? "cancelled" : "confirmed";
    }
    await run(effects, flow);
    effects.clock += 5_000;
    effects.external("wf.2", "resolved");
    effects.clock += 700;
    effects.external("wf.1", "resolved", { data: Buffer.from('"late cancel"').toString("base64") });
    expect(resultOf(await run(effects, flow))).toBe("confirmed");
  });

  it("checkpoints ctx.date.now and ctx.math.random", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, [number, number], unknown> {
      return [yield* ctx.date.now(), yield* ctx.math.random()];
    }
    const first = resultOf(await run(effects, flow));
    effects.clock += 10_000;
    expect(resultOf(await run(effects, flow))).toEqual(first);
  });

  it("tells the user to use yield* when a generator yields a bare value", async () => {
    const effects = new FakeEffects();
    function step(): number {
      return 1;
    }
    function* flow(ctx: Context): Generator<unknown, unknown, unknown> {
      return yield ctx.run(step);
    }
    const error = resultOf(await run(effects, flow)) as Error;
    expect(error.message).toContain("yield*");
  });

  it("reads dependencies set outside the workflow", async () => {
    const effects = new FakeEffects();
    effects.dependencies.set("greeting", "hello");
    function greet(ctx: Context, name: string): string {
      return `${ctx.getDependency<string>("greeting")} ${name}`;
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      return yield* ctx.run(greet, "ada");
    }
    expect(resultOf(await run(effects, flow))).toBe("hello ada");
  });

  it("names the dependencies that are set when a workflow asks for one that is not", async () => {
    const effects = new FakeEffects();
    effects.dependencies.set("db", {});
    function* flow(ctx: Context): Generator<unknown, unknown, unknown> {
      return ctx.getDependency("cache");
    }
    const error = resultOf(await run(effects, flow)) as Error;
    expect(error.message).toBe('dependency "cache" is not set; call reprise.setDependency("cache", value) (set: db)');
  });

  it("rejects a step result that cannot be stored, without retrying", async () => {
    const effects = new FakeEffects();
    let attempts = 0;
    function leaky(): unknown {
      attempts++;
      return { callback: () => 1 };
    }
    function* flow(ctx: Context): Generator<unknown, unknown, unknown> {
      return yield* ctx.run(leaky);
    }
    const outcome = await run(effects, flow);
    expect(outcome).toMatchObject({ type: "completed", state: "rejected" });
    expect((resultOf(outcome) as Error).message).toContain("function");
    expect(attempts).toBe(1);
  });
});

describe("execution when the store fails", () => {
  it("abandons the run instead of recording an infrastructure failure as the result", async () => {
    const effects = new FakeEffects();
    effects.record = async () => {
      throw new Error("ECONNREFUSED");
    };
    function step(): number {
      return 1;
    }
    function* flow(ctx: Context): Generator<unknown, number, unknown> {
      return yield* ctx.run(step);
    }
    expect(await run(effects, flow)).toEqual({ type: "abandoned", reason: "ECONNREFUSED" });
  });

  it("throws an unstorable promise payload into the generator", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      try {
        yield* ctx.promise({ data: { fn: () => 1 } });
        return "unreachable";
      } catch (error) {
        return (error as Error).name;
      }
    }
    expect(resultOf(await run(effects, flow))).toBe("SerializationError");
  });
});
