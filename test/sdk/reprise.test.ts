import { afterEach, describe, expect, it } from "vitest";
import { ConflictError, InvalidArgumentError, NotRegisteredError, Reprise, StoreError, type AsyncContext, type Context } from "../../src/index.js";
import { embeddedInstances } from "./fixtures/embedded.js";
import { hostname } from "node:os";
import { encodeCall, rootTags } from "../../src/protocol/calls.js";
import { ADDRESS } from "../../src/protocol/tags.js";
import { action, ProtocolClient } from "../../src/sdk/client.js";
import { openStore } from "../../src/store/index.js";
import { EmbeddedTransport } from "../../src/transport/embedded.js";

const { dbPath, open: openEmbedded } = embeddedInstances("reprise-sdk-");

function open(store = dbPath()): Reprise {
  return openEmbedded({ store });
}

let effects: string[] = [];
afterEach(() => {
  effects = [];
});

function record(_ctx: Context, what: string): string {
  effects.push(what);
  return `${what}!`;
}

function* twoSteps(ctx: Context, name: string): Generator<unknown, string, unknown> {
  const a = yield* ctx.run(record, `a-${name}`);
  const b = yield* ctx.run(record, `b-${name}`);
  return `${a} ${b}`;
}

describe("Reprise (embedded SQLite)", () => {
  it("runs a workflow, and the same id returns the stored result without running again", async () => {
    const reprise = open();
    reprise.register("twoSteps", twoSteps);
    expect(await reprise.run("job-1", "twoSteps", "x")).toBe("a-x! b-x!");
    expect(await reprise.run("job-1", twoSteps, "x")).toBe("a-x! b-x!");
    expect(effects).toEqual(["a-x", "b-x"]);
  });

  it("returns handles from beginRun and get", async () => {
    const reprise = open();
    reprise.register("twoSteps", twoSteps);
    const handle = await reprise.beginRun("job-2", "twoSteps", "y");
    expect(handle.id).toBe("job-2");
    expect(await handle.result()).toBe("a-y! b-y!");
    expect(await handle.done()).toBe(true);
    expect(await (await reprise.get("job-2")).result()).toBe("a-y! b-y!");
  });

  it("register returns run/beginRun bound to the function", async () => {
    const reprise = open();
    const bound = reprise.register("twoSteps", twoSteps);
    expect(await bound.run("job-3", "z")).toBe("a-z! b-z!");
  });

  it("refuses invalid ids, unknown functions and unstorable arguments, and records nothing", async () => {
    const reprise = open();
    reprise.register("twoSteps", twoSteps);
    await expect(reprise.run("", "twoSteps", "x")).rejects.toThrow(InvalidArgumentError);
    await expect(reprise.run("has\u0000nul", "twoSteps", "x")).rejects.toThrow(/without NUL/);
    await expect(reprise.run("x".repeat(2049), "twoSteps", "x")).rejects.toThrow(/1-2048/);
    await expect(reprise.run("job-4", "nope", "x")).rejects.toThrow(NotRegisteredError);
    await expect(reprise.run("job-4", "nope", "x")).rejects.toThrow(/registered: twoSteps/);
    await expect(reprise.run("job-4", "twoSteps", { callback: () => 1 })).rejects.toThrow(/args\[0\]\.callback is a function/);
    await expect(reprise.run("job-4", "twoSteps", 10n)).rejects.toThrow(/bigint/);
    expect((await reprise.promises.search({ id: "*" })).promises).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("refuses to reuse an execution id for another function, and leaves the first untouched", async () => {
    const reprise = open();
    reprise.register("twoSteps", twoSteps);
    function* other(): Generator<unknown, string, unknown> {
      return "other";
    }
    reprise.register("other", other);
    await reprise.run("job-5", "twoSteps", "x");
    await expect(reprise.run("job-5", "other")).rejects.toThrow(ConflictError);
    await expect(reprise.run("job-5.1", "other")).rejects.toThrow(/not an execution/);
    expect((await reprise.promises.get("job-5")).value).toBe("a-x! b-x!");
  });

  it("raises a panic to the caller as type Panic, code 98", async () => {
    const reprise = open();
    function* panicky(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.run(record, "before");
      yield* ctx.panic(true, "exists_diff");
      return "unreachable";
    }
    reprise.register("panicky", panicky);
    const error = await reprise.run("job-6", "panicky").catch((e: unknown) => e as Error & { type: string; code: string });
    expect(error).toMatchObject({ type: "Panic", code: "98" });
  });

  it("waits for a durable promise that something outside resolves", async () => {
    const reprise = open();
    function* approval(ctx: Context): Generator<unknown, string, unknown> {
      const decision = yield* ctx.promise<string>({ id: "approval-7" });
      return `decided: ${yield* decision}`;
    }
    reprise.register("approval", approval);
    const handle = await reprise.beginRun("job-7", "approval");
    await waitFor(async () => (await reprise.promises.search({ id: "approval-7" })).promises.length === 1);
    expect(await handle.done()).toBe(false);
    await reprise.promises.resolve("approval-7", "yes");
    expect(await handle.result()).toBe("decided: yes");
  });

  it("sleeps durably and resumes after the timer", async () => {
    const reprise = open();
    function* nap(ctx: Context): Generator<unknown, number, unknown> {
      const start = yield* ctx.date.now();
      yield* ctx.sleep(300);
      return (yield* ctx.date.now()) - start;
    }
    reprise.register("nap", nap);
    expect(await reprise.run("job-8", "nap")).toBeGreaterThanOrEqual(300);
  });

  it("calls a registered function with ctx.rpc", async () => {
    const reprise = open();
    function* square(_ctx: Context, x: number): Generator<unknown, number, unknown> {
      return x * x;
    }
    function* caller(ctx: Context): Generator<unknown, number, unknown> {
      return (yield* ctx.rpc<number>("square", 7)) + 1;
    }
    reprise.register("square", square);
    reprise.register("caller", caller);
    expect(await reprise.run("job-9", "caller")).toBe(50);
  });

  it("manages durable promises from outside: create, resolve, idempotency keys, search, 404", async () => {
    const reprise = open();
    await reprise.promises.create("signal-1", { timeout: 60_000, data: { hello: 1 }, idempotencyKey: "k1" });
    await reprise.promises.create("signal-1", { idempotencyKey: "k1" });
    await expect(reprise.promises.create("signal-1", { idempotencyKey: "k2" })).rejects.toThrow(ConflictError);
    const resolved = await reprise.promises.resolve("signal-1", { ok: true });
    expect(resolved).toMatchObject({ state: "resolved", value: { ok: true }, param: { hello: 1 } });
    expect((await reprise.promises.reject("signal-1", "late")).state).toBe("resolved");
    expect((await reprise.promises.search({ state: "resolved" })).promises.map((p) => p.id)).toEqual(["signal-1"]);
    await expect(reprise.promises.get("missing")).rejects.toThrow(StoreError);
  });

  it("hears a signal sent through another connection to the same file within seconds", async () => {
    const store = dbPath();
    const runner = open(store);
    function* awaitSignal(ctx: Context): Generator<unknown, string, unknown> {
      const signal = yield* ctx.promise<string>({ id: "signal-11" });
      return yield* signal;
    }
    runner.register("awaitSignal", awaitSignal);
    const handle = await runner.beginRun("job-11", "awaitSignal");
    await waitFor(async () => (await runner.promises.search({ id: "signal-11" })).promises.length === 1);

    const other = open(store);
    const sentAt = Date.now();
    await other.promises.resolve("signal-11", "hi");
    expect(await handle.result()).toBe("hi");
    expect(Date.now() - sentAt).toBeLessThan(10_000);
  });

  it("runs async workflows: await ctx.run, a durable sleep, a promise resolved from outside", async () => {
    const reprise = open();
    async function checkout(ctx: AsyncContext, cart: string): Promise<string> {
      const total = await ctx.run(record, `price-${cart}`);
      await ctx.sleep(200);
      const approval = await ctx.promise<string>({ id: `approve-${cart}` });
      return `${total} approved by ${await ctx.wait(approval)}`;
    }
    reprise.register("checkout", checkout);
    const handle = await reprise.beginRun("job-12", checkout, "c1");
    await waitFor(async () => (await reprise.promises.search({ id: "approve-c1" })).promises.length === 1);
    await reprise.promises.resolve("approve-c1", "ada");
    const result: string = await handle.result();
    expect(result).toBe("price-c1! approved by ada");
    expect(effects).toEqual(["price-c1"]);
  });

  it("a second process on the same file finishes what a stopped one left", async () => {
    const store = dbPath();
    const first = open(store);
    function* waiter(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.run(record, "first-step");
      const go = yield* ctx.promise<string>({ id: "go-10" });
      return yield* go;
    }
    first.register("waiter", waiter);
    await first.beginRun("job-10", "waiter");
    await waitFor(async () => (await first.promises.search({ id: "go-10" })).promises.length === 1);
    await first.stop();

    const second = open(store);
    second.register("waiter", waiter);
    await second.promises.resolve("go-10", "done");
    expect(await second.run("job-10", "waiter")).toBe("done");
    expect(effects).toEqual(["first-step"]);
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("Reprise.ready()", () => {
  it("resolves once the start-up sweep has run: a dead holder's execution is already taken over and started", async () => {
    const path = dbPath();
    const dead = `embedded:${hostname()}:${process.pid}:dead0002`;
    const store = await openStore(path);
    const client = new ProtocolClient(new EmbeddedTransport(store));
    const held = await client.expect("task.create", {
      pid: dead,
      ttl: 3_600_000,
      action: action("promise.create", { id: "left-behind", timeoutAt: Date.now() + 3_600_000, param: encodeCall("waits", []), tags: rootTags("waits", ADDRESS.anycast("default"), "left-behind") }),
    });
    expect(held.task.pid).toBe(dead);
    await store.close();

    const reprise = open(path);
    const started: string[] = [];
    reprise.register("waits", function* (ctx: Context) {
      started.push(ctx.id);
      yield* ctx.sleep(3_600_000);
    });
    await reprise.ready();
    // Done before ready() resolved, not in the middle of the first calls that follow it.
    expect(started).toEqual(["left-behind"]);
  });
});
