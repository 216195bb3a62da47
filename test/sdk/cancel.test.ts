import { describe, expect, it } from "vitest";
import { CancelledError, Reprise, StoreError, ConflictError, type Context } from "../../src/index.js";
import { rootTags } from "../../src/protocol/calls.js";
import { PROTOCOL_VERSION, type RequestOf } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { cancelExecution, type Send } from "../../src/engine/cancel-request.js";
import { openStore } from "../../src/store/index.js";
import { embeddedInstances } from "./fixtures/embedded.js";

const { dbPath, open: openEmbedded } = embeddedInstances("reprise-cancel-");

function open(store = dbPath(), group = "default"): Reprise {
  return openEmbedded({ store, group, logLevel: "error" });
}

async function until(predicate: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("reprise.cancel (embedded SQLite)", () => {
  it("cancels a suspended execution: its sleeping child workflow and its external promise end rejected_canceled, its compensation runs once", async () => {
    const reprise = open();
    const compensations: string[] = [];
    function* sleeper(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.sleep(60 * 60_000);
    }
    function compensate(_ctx: Context, order: string): string {
      compensations.push(order);
      return `refunded ${order}`;
    }
    function* order(ctx: Context, id: string): Generator<unknown, string, unknown> {
      const child = yield* ctx.beginRun(sleeper);
      const approval = yield* ctx.promise<string>({ id: `approval-${id}` });
      try {
        yield* approval;
        yield* child;
        return "shipped";
      } catch (error) {
        yield* ctx.run(compensate, id);
        throw error;
      }
    }
    reprise.register(order);
    const handle = await reprise.beginRun("order-1", order, "o1");
    // Suspended: nothing of it runs in memory, both waits are in the store.
    await until(async () => (await reprise.promises.get("approval-o1").catch(() => undefined)) !== undefined, "the approval promise");
    await until(async () => (await reprise.promises.get("order-1.1.1").catch(() => undefined)) !== undefined, "the child's sleep");

    const answer = await reprise.cancel("order-1", "customer left");
    expect(answer).toMatchObject({ id: "order-1", outcome: "requested" });

    const error = await rejection(handle.result());
    expect(error).toBeInstanceOf(CancelledError);
    expect(error).toMatchObject({ executionId: "order-1", reason: "customer left" });
    expect((await reprise.promises.get("order-1")).state).toBe("rejected_canceled");
    expect((await reprise.promises.get("order-1.1")).state).toBe("rejected_canceled");
    expect((await reprise.promises.get("order-1.1.1")).state).toBe("rejected_canceled");
    expect((await reprise.promises.get("approval-o1")).state).toBe("rejected_canceled");
    expect((await reprise.promises.get("order-1.3")).state).toBe("resolved");
    expect(compensations).toEqual(["o1"]);
  });

  it("aborts the ctx.signal of a step running when the cancellation arrives", async () => {
    const reprise = open();
    let signalled: unknown;
    let stepStarted = false;
    async function download(ctx: Context): Promise<string> {
      stepStarted = true;
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      signalled = ctx.signal.reason;
      throw ctx.signal.reason;
    }
    function* fetcher(ctx: Context): Generator<unknown, string, unknown> {
      return yield* ctx.run(download);
    }
    reprise.register(fetcher);
    const handle = await reprise.beginRun("fetch-1", fetcher);
    await until(() => stepStarted, "the step to start");
    expect(await reprise.cancel("fetch-1")).toMatchObject({ outcome: "requested" });
    expect(await rejection(handle.result())).toBeInstanceOf(CancelledError);
    expect(signalled).toBeInstanceOf(CancelledError);
    expect((await reprise.promises.get("fetch-1")).state).toBe("rejected_canceled");
    // The interrupted step is recorded as cancelled, with what it did.
    expect((await reprise.promises.get("fetch-1.1")).value).toMatchObject({ name: "CancelledError", stepOutcome: expect.stringContaining("rejected") });
  });

  it("says so, without an error, when the execution was cancelled already or had finished", async () => {
    const reprise = open();
    function* waits(ctx: Context): Generator<unknown, void, unknown> {
      yield* ctx.sleep(60 * 60_000);
    }
    function* quick(): Generator<unknown, number, unknown> {
      return 1;
    }
    reprise.register(waits);
    reprise.register(quick);
    const handle = await reprise.beginRun("waits-1", waits);
    await until(async () => (await reprise.promises.get("waits-1.1").catch(() => undefined)) !== undefined, "the sleep");
    expect(await reprise.cancel("waits-1")).toMatchObject({ outcome: "requested" });
    expect(await reprise.cancel("waits-1")).toMatchObject({ outcome: "already-requested" });
    await rejection(handle.result());
    expect(await reprise.cancel("waits-1")).toMatchObject({ outcome: "finished", state: "rejected_canceled" });

    expect(await reprise.run("quick-1", quick)).toBe(1);
    expect(await reprise.cancel("quick-1")).toMatchObject({ outcome: "finished", state: "resolved", message: expect.stringContaining("nothing to cancel") });
  });

  it("refuses an unknown id and a promise that is not an execution, changing nothing", async () => {
    const reprise = open();
    await expect(reprise.cancel("nobody")).rejects.toBeInstanceOf(StoreError);
    await reprise.promises.create("plain");
    await expect(reprise.cancel("plain")).rejects.toBeInstanceOf(ConflictError);
    expect((await reprise.promises.get("plain")).state).toBe("pending");
    await expect(reprise.cancel("")).rejects.toThrow(/id/);
  });

  it("reaches an execution running in another process that never hears of it: it does not suspend, it replays cancelled", async () => {
    // Two instances on one file, each with its own store connection: they hear only their own
    // store's messages, as two processes do. The runner is not told; the store keeps the note.
    const path = dbPath();
    const runner = open(path);
    const canceller = open(path, "elsewhere");
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let entered = false;
    const ran: string[] = [];
    async function slowStep(): Promise<string> {
      entered = true;
      await gate;
      return "slow done";
    }
    function undo(_ctx: Context, what: string): void {
      ran.push(what);
    }
    function* job(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.run(slowStep);
      try {
        yield* ctx.sleep(60 * 60_000);
        return "woke";
      } catch (error) {
        yield* ctx.run(undo, "undo");
        throw error;
      }
    }
    runner.register(job);
    const handle = await runner.beginRun("job-x", job);
    await until(() => entered, "the step to start");
    expect(await canceller.cancel("job-x")).toMatchObject({ outcome: "requested" });
    openGate();
    expect(await rejection(handle.result())).toBeInstanceOf(CancelledError);
    expect((await runner.promises.get("job-x.1")).state).toBe("resolved");
    expect((await runner.promises.get("job-x.2")).state).toBe("rejected_canceled");
    expect(ran).toEqual(["undo"]);
  });

  it("records a parent's request even for a child that has just finished, so the parent's replays agree", async () => {
    const store = await openStore(":memory:");
    try {
      const send: Send = (kind, data) => store.apply({ kind, head: { corrId: "t", version: PROTOCOL_VERSION }, data } as RequestOf<typeof kind>);
      await send("promise.create", { id: "p.1", timeoutAt: Date.now() + 60_000, param: {}, tags: { ...rootTags("child", "poll://any@g", "p.1"), [TAG.kind]: "rpc" } });
      await send("promise.settle", { id: "p.1", state: "resolved", value: {} });
      expect(await cancelExecution(send, "p.1", { origin: "p" })).toMatchObject({ outcome: "finished", state: "resolved" });
      const request = await send("promise.get", { id: "p.1.cancel" });
      expect(request.data).toMatchObject({ promise: { tags: { [TAG.origin]: "p", [TAG.kind]: "cancel" } } });
      // Asked from outside (no origin), a finished execution gets nothing written.
      await send("promise.create", { id: "q", timeoutAt: Date.now() + 60_000, param: {}, tags: rootTags("f", "poll://any@g", "q") });
      await send("promise.settle", { id: "q", state: "resolved", value: {} });
      expect(await cancelExecution(send, "q")).toMatchObject({ outcome: "finished" });
      expect((await send("promise.get", { id: "q.cancel" })).head.status).toBe(404);
    } finally {
      await store.close();
    }
  });
});
