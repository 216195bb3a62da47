import { describe, expect, it } from "vitest";
import type { AsyncContext } from "../../src/engine/async-context.js";
import type { Context } from "../../src/engine/context.js";
import { decodeValue } from "../../src/protocol/codec.js";
import { completedValue as resultOf, FakeEffects, run } from "./fake-effects.js";

const encoded = (value: unknown) => ({ data: Buffer.from(JSON.stringify(value)).toString("base64") });

describe("async workflows", () => {
  it("run steps with await, record them, and replay without running them again", async () => {
    const effects = new FakeEffects();
    const calls: string[] = [];
    function add(_ctx: Context, a: number, b: number): number {
      calls.push(`add ${a} ${b}`);
      return a + b;
    }
    async function flow(ctx: AsyncContext, n: number): Promise<number> {
      const sum = await ctx.run(add, n, 1);
      return ctx.run(add, sum, 10);
    }
    expect(resultOf(await run(effects, flow, [4]))).toBe(15);
    expect(resultOf(await run(effects, flow, [4]))).toBe(15);
    expect(calls).toEqual(["add 4 1", "add 5 10"]);
    expect([...effects.records.keys()]).toEqual(["wf.1", "wf.2"]);
  });

  it("read dependencies, in the body and in its steps", async () => {
    const effects = new FakeEffects();
    effects.dependencies.set("greeting", "hello");
    function greet(ctx: Context, name: string): string {
      return `${ctx.getDependency<string>("greeting")} ${name}`;
    }
    async function flow(ctx: AsyncContext): Promise<string> {
      const greeting = ctx.getDependency<string>("greeting");
      return `${greeting}: ${await ctx.run(greet, "ada")}`;
    }
    expect(resultOf(await run(effects, flow))).toBe("hello: hello ada");
  });

  it("start calls when they are made, so Promise.all runs them at once, with ids in call order", async () => {
    const effects = new FakeEffects();
    let inFlight = 0;
    let most = 0;
    async function slow(_ctx: Context, x: number): Promise<number> {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return x;
    }
    async function flow(ctx: AsyncContext): Promise<number[]> {
      return Promise.all([ctx.run(slow, 1), ctx.run(slow, 2), ctx.run(slow, 3)]);
    }
    expect(resultOf(await run(effects, flow))).toEqual([1, 2, 3]);
    expect(most).toBe(3);
    expect(effects.records.get("wf.3")?.param && decodeValue(effects.records.get("wf.3")!.param)).toMatchObject({ args: [3] });
  });

  it("suspend on a durable sleep and finish once the timer fired", async () => {
    const effects = new FakeEffects();
    async function flow(ctx: AsyncContext): Promise<string> {
      await ctx.sleep(1_000);
      return "woke";
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["wf.1"] });
    effects.external("wf.1", "resolved");
    expect(resultOf(await run(effects, flow))).toBe("woke");
  });

  it("wait on a promise settled from outside, raced against a timer", async () => {
    const effects = new FakeEffects();
    async function flow(ctx: AsyncContext): Promise<string> {
      const approval = await ctx.promise<string>({ id: "approval" });
      const timeout = await ctx.timer(60_000);
      const first = await ctx.race<unknown>([approval, timeout]);
      return first.index === 0 ? `approved by ${String(first.value)}` : "timed out";
    }
    expect(await run(effects, flow)).toEqual({ type: "suspended", awaiting: ["approval", "wf.2"] });
    effects.external("approval", "resolved", encoded("ada"));
    expect(resultOf(await run(effects, flow))).toBe("approved by ada");
  });

  it("panic past the body's try/catch, with type Panic and code 98", async () => {
    const effects = new FakeEffects();
    let after = false;
    async function flow(ctx: AsyncContext): Promise<string> {
      try {
        await ctx.panic(true, "exists_diff");
      } catch {
        after = true;
      }
      return "unreachable";
    }
    const error = resultOf(await run(effects, flow)) as { type: string; code: string };
    expect(error).toMatchObject({ type: "Panic", code: "98" });
    expect(after).toBe(false);
  });

  it("throw a step's final error where the body can catch it", async () => {
    const effects = new FakeEffects();
    function broken(): never {
      throw new Error("down");
    }
    async function flow(ctx: AsyncContext): Promise<string> {
      try {
        await ctx.run(broken, ctx.options({ retryPolicy: { delayBefore: () => null } }));
        return "unreachable";
      } catch (error) {
        return `caught: ${(error as Error).message}`;
      }
    }
    expect(resultOf(await run(effects, flow))).toBe("caught: down");
  });

  it("are not suspended while the body awaits something that is not a ctx call", async () => {
    const effects = new FakeEffects();
    function one(): number {
      return 1;
    }
    async function flow(ctx: AsyncContext): Promise<number> {
      const a = await ctx.run(one);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return a + (await ctx.run(one));
    }
    expect(resultOf(await run(effects, flow))).toBe(2);
  });

  it("refuse, clearly, an await on a generator workflow's ctx call", async () => {
    const effects = new FakeEffects();
    function one(): number {
      return 1;
    }
    async function asyncStep(ctx: Context): Promise<number> {
      return (await ctx.run(one)) as unknown as number;
    }
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      try {
        yield* ctx.run(asyncStep, ctx.options({ retryPolicy: { delayBefore: () => null } }));
        return "unreachable";
      } catch (error) {
        return (error as Error).message;
      }
    }
    const message = resultOf(await effects.run({ id: "wf", name: "flow", func: flow, args: [], timeoutAt: effects.clock + 60_000 }));
    expect(message).toContain("use `yield* ctx.run(...)`");
  });
});
