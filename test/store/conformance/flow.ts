/**
 * Flow control (a Reprise extension, kernel/flow.ts): declared limits, keys, rate windows, the
 * queue's order, and a slot given back exactly once on every way a task leaves `acquired`.
 */
import { describe, expect, it } from "vitest";
import type { FunctionLimits } from "../../../src/protocol/records.js";
import type { RequestOf } from "../../../src/protocol/requests.js";
import { TAG } from "../../../src/protocol/tags.js";
import type { Backend, Tx } from "../../../src/store/backend.js";
import { executeMessage, T0, TARGET, type OpenStore, type Subject } from "./harness.js";

const HEAD = { corrId: "inner", version: "test" };
const GROUP = "workers";

function charge(id: string, extra: Record<string, string> = {}, timeoutAt = T0 + 60_000): RequestOf<"promise.create"> {
  return { kind: "promise.create", head: HEAD, data: { id, timeoutAt, param: {}, tags: { [TAG.target]: TARGET, [TAG.func]: "charge", ...extra } } };
}

async function declare(s: Subject, ...functions: FunctionLimits[]) {
  return s.ok("reprise.declare_limits", { group: GROUP, pid: "w1", functions });
}

/** Creates `id` (a pending task at version 0) at `now`, then tries to acquire it. */
async function start(s: Subject, id: string, now = T0, extra: Record<string, string> = {}) {
  await s.ok("promise.create", charge(id, extra, now + 60_000).data, now);
  return s.send("task.acquire", { id, version: 0, pid: "w1", ttl: 10_000 }, now);
}

async function stats(s: Subject) {
  return (await s.ok("reprise.flow_stats", {})).flows;
}

export function flowSpecs(subject: () => Subject, open: OpenStore): void {
  describe("flow control", () => {
    it("leaves a function without declared limits alone: no tag, no queue", async () => {
      const s = subject();
      await declare(s, { func: "other", concurrency: 1 });
      for (const id of ["a", "b", "c"]) expect((await start(s, id)).head.status).toBe(200);
      expect((await s.getPromise("a")).tags[TAG.flow]).toBeUndefined();
      expect(await stats(s)).toEqual([{ group: GROUP, func: "other", limits: { func: "other", concurrency: 1 }, running: 0, queued: 0, keys: 0 }]);
    });

    it("queues an acquisition beyond the concurrency limit, pending with no re-delivery, and says why", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 2 });
      expect((await start(s, "a")).head.status).toBe(200);
      expect((await start(s, "b")).head.status).toBe(200);
      const refused = await start(s, "c");
      expect(refused.head.status).toBe(429);
      expect(refused.data).toMatch(/"charge" runs 2 of 2 executions at once/);
      expect((await s.getPromise("c")).tags[TAG.flow]).toBe("");
      const queued = await s.getTask("c");
      expect(queued).toMatchObject({ state: "pending", version: 0 });
      expect(queued.expiresAt).toBeUndefined();
      const { tasks } = await s.ok("task.search", { state: "pending" });
      expect(tasks.filter((task) => task.queued).map((task) => task.id)).toEqual(["c"]);
      expect(await stats(s)).toEqual([{ group: GROUP, func: "charge", limits: { func: "charge", concurrency: 2 }, running: 2, queued: 1, keys: 1 }]);
    });

    it("queues an execution created beyond the limit at once: no worker is sent to it until there is room", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 2 });
      for (const id of ["a", "b", "c", "d"]) await s.ok("promise.create", charge(id).data);
      expect(s.takeMessages()).toEqual([executeMessage("a", 0), executeMessage("b", 0)]);
      expect(await stats(s)).toMatchObject([{ running: 0, queued: 4 }]);
      for (const id of ["a", "b"]) expect((await s.send("task.acquire", { id, version: 0, pid: "w1", ttl: 10_000 })).head.status).toBe(200);
      expect(await stats(s)).toMatchObject([{ running: 2, queued: 2 }]);
      expect((await s.getTask("c")).expiresAt).toBeUndefined();
      await s.settle("a");
      expect(s.takeMessages()).toEqual([executeMessage("c", 0)]);
    });

    it("dispatches the queue's head when a slot frees, and lets only it in", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 1 });
      await start(s, "a");
      await start(s, "b", T0 + 1);
      await start(s, "c", T0 + 2);
      s.takeMessages();
      await s.ok("task.fulfill", { id: "a", version: 1, action: { kind: "promise.settle", head: HEAD, data: { id: "a", state: "resolved", value: {} } } }, T0 + 3);
      expect(s.takeMessages()).toEqual([executeMessage("b", 0)]);
      // c is behind b: refused even though a slot is free.
      expect((await s.send("task.acquire", { id: "c", version: 0, pid: "w2", ttl: 10_000 }, T0 + 4)).head.status).toBe(429);
      expect((await s.send("task.acquire", { id: "b", version: 0, pid: "w2", ttl: 10_000 }, T0 + 4)).head.status).toBe(200);
      expect(await stats(s)).toMatchObject([{ running: 1, queued: 1 }]);
    });

    it("starts the highest priority first, then the oldest", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 1 });
      await start(s, "running");
      await start(s, "low-old", T0 + 1, { [TAG.priority]: "1" });
      await start(s, "low-new", T0 + 2, { [TAG.priority]: "1" });
      await start(s, "high", T0 + 3, { [TAG.priority]: "5" });
      await start(s, "default", T0 + 4);
      const order: string[] = [];
      let holder = "running";
      for (let n = 0; n < 4; n++) {
        s.takeMessages();
        await s.ok("promise.settle", { id: holder, state: "resolved", value: {} }, T0 + 10 + n);
        const [message] = s.takeMessages().filter((m) => m.message.kind === "execute");
        const next = message!.message.kind === "execute" ? message!.message.data.task : undefined;
        order.push(next!.id);
        expect((await s.send("task.acquire", { id: next!.id, version: next!.version, pid: "w1", ttl: 10_000 }, T0 + 10 + n)).head.status).toBe(200);
        holder = next!.id;
      }
      expect(order).toEqual(["high", "low-old", "low-new", "default"]);
    });

    it("counts each flow key on its own", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 1 });
      expect((await start(s, "a1", T0, { [TAG.flow]: "customer-a" })).head.status).toBe(200);
      expect((await start(s, "b1", T0, { [TAG.flow]: "customer-b" })).head.status).toBe(200);
      const refused = await start(s, "a2", T0, { [TAG.flow]: "customer-a" });
      expect(refused.head.status).toBe(429);
      expect(refused.data).toMatch(/key "customer-a"/);
      expect(await stats(s)).toMatchObject([{ func: "charge", running: 2, queued: 1, keys: 2 }]);
    });

    it("holds starts to the rate limit in any window, and dispatches when the window opens", async () => {
      const s = subject();
      await declare(s, { func: "charge", rateLimit: { limit: 2, periodMs: 1000 } });
      expect((await start(s, "a", T0)).head.status).toBe(200);
      expect((await start(s, "b", T0 + 400)).head.status).toBe(200);
      const refused = await start(s, "c", T0 + 500);
      expect(refused.head.status).toBe(429);
      expect(refused.data).toMatch(/started 2 executions in the last 1000 ms/);
      // The window opens when the first start leaves it.
      expect(await s.store.nextDeadline()).toBe(T0 + 1000);
      s.takeMessages();
      await s.store.tick(T0 + 999);
      expect(s.takeMessages()).toEqual([]);
      await s.store.tick(T0 + 1000);
      expect(s.takeMessages()).toEqual([executeMessage("c", 0)]);
      expect((await s.send("task.acquire", { id: "c", version: 0, pid: "w1", ttl: 10_000 }, T0 + 1001)).head.status).toBe(200);
      // Finishing does not give back a start: d waits for b's start to leave the window.
      await s.settle("a", "resolved", T0 + 1002);
      expect((await start(s, "d", T0 + 1003)).head.status).toBe(429);
      expect((await s.send("task.acquire", { id: "d", version: 0, pid: "w1", ttl: 10_000 }, T0 + 1400)).head.status).toBe(200);
    });

    it("comes back when the window opens for those still queued after a dispatch took it all", async () => {
      const s = subject();
      await declare(s, { func: "charge", rateLimit: { limit: 2, periodMs: 1000 } });
      for (const id of ["a", "b", "c", "d", "e"]) await start(s, id);
      s.takeMessages();
      await s.store.tick(T0 + 1000);
      expect(s.takeMessages()).toEqual([executeMessage("c", 0), executeMessage("d", 0)]);
      for (const id of ["c", "d"]) expect((await s.send("task.acquire", { id, version: 0, pid: "w1", ttl: 60_000 }, T0 + 1000)).head.status).toBe(200);
      // c and d fill the window (a and b still run): e starts when it opens, not at a re-check.
      expect(await s.store.nextDeadline()).toBe(T0 + 2000);
      await s.store.tick(T0 + 2000);
      expect(s.takeMessages()).toEqual([executeMessage("e", 0)]);
    });

    it("forgets a key's row once nothing runs, waits or is in its rate window", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 1, rateLimit: { limit: 5, periodMs: 1000 } });
      await start(s, "a", T0, { [TAG.flow]: "k1" });
      await start(s, "b", T0, { [TAG.flow]: "k2" });
      expect(await stats(s)).toMatchObject([{ running: 2, keys: 2 }]);
      await s.settle("a", "resolved", T0 + 10);
      await s.settle("b", "resolved", T0 + 20);
      // Their starts are still in the window: the rows stay until it has passed them.
      expect(await stats(s)).toMatchObject([{ running: 0, queued: 0, keys: 2 }]);
      expect(await s.store.nextDeadline()).toBe(T0 + 1000);
      await s.store.tick(T0 + 1000);
      expect(await stats(s)).toMatchObject([{ running: 0, queued: 0, keys: 0 }]);
      expect(await s.store.nextDeadline()).toBeUndefined();
    });

    it("queues a task.create beyond the limit: the promise exists, its task pending for the caller", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 1 });
      const first = await s.ok("task.create", { pid: "w1", ttl: 10_000, action: charge("a") });
      expect(first.task.state).toBe("acquired");
      const second = await s.ok("task.create", { pid: "w1", ttl: 10_000, action: charge("b") });
      expect(second.task).toMatchObject({ id: "b", state: "pending", version: 0 });
      expect(second.promise.state).toBe("pending");
      s.takeMessages();
      await s.settle("a");
      expect(s.takeMessages()).toEqual([executeMessage("b", 0)]);
    });

    describe("gives a slot back exactly once on every way out of acquired", () => {
      /** a holds the only slot (version 1), b is queued behind it. */
      async function held(s: Subject) {
        await declare(s, { func: "charge", concurrency: 1 });
        expect((await start(s, "a")).head.status).toBe(200);
        expect((await start(s, "b", T0 + 1)).head.status).toBe(429);
        s.takeMessages();
      }

      async function expectFreedOnce(s: Subject, now: number) {
        expect(s.takeMessages().filter((m) => m.message.kind === "execute" && m.message.data.task.id === "b")).toEqual([executeMessage("b", 0)]);
        expect(await stats(s)).toMatchObject([{ running: 0, queued: 1 }]);
        expect((await s.send("task.acquire", { id: "b", version: 0, pid: "w2", ttl: 10_000 }, now)).head.status).toBe(200);
        // One slot, now b's: a third execution waits.
        expect((await start(s, "c", now)).head.status).toBe(429);
        expect(await stats(s)).toMatchObject([{ running: 1, queued: 1 }]);
      }

      it("fulfill", async () => {
        const s = subject();
        await held(s);
        await s.ok("task.fulfill", { id: "a", version: 1, action: { kind: "promise.settle", head: HEAD, data: { id: "a", state: "resolved", value: {} } } }, T0 + 2);
        await expectFreedOnce(s, T0 + 3);
      });

      it("suspend (and a resume queues again)", async () => {
        const s = subject();
        await held(s);
        await s.create("timer", { timeoutAt: T0 + 60_000 });
        await s.ok("task.suspend", { id: "a", version: 1, actions: [{ kind: "promise.register_callback", head: HEAD, data: { awaited: "timer", awaiter: "a" } }] }, T0 + 2);
        await expectFreedOnce(s, T0 + 3);
        await s.settle("timer", "resolved", T0 + 4);
        expect((await s.send("task.acquire", { id: "a", version: 1, pid: "w1", ttl: 10_000 }, T0 + 5)).head.status).toBe(429);
      });

      it("release", async () => {
        const s = subject();
        await held(s);
        await s.ok("task.release", { id: "a", version: 1 }, T0 + 2);
        await expectFreedOnce(s, T0 + 3);
      });

      it("lease expiry in the tick", async () => {
        const s = subject();
        await held(s);
        await s.store.tick(T0 + 10_000);
        await expectFreedOnce(s, T0 + 10_001);
      });

      it("halt", async () => {
        const s = subject();
        await held(s);
        await s.ok("task.halt", { id: "a" }, T0 + 2);
        await expectFreedOnce(s, T0 + 3);
      });

      it("its promise settled by someone else, or timed out", async () => {
        const s = subject();
        await held(s);
        await s.settle("a", "rejected_canceled", T0 + 2);
        await expectFreedOnce(s, T0 + 3);
        await s.store.tick(T0 + 3 + 60_000);
        expect(await stats(s)).toMatchObject([{ running: 0 }]);
      });

      it("not on a take-over: the new holder keeps the slot", async () => {
        const s = subject();
        await held(s);
        expect((await s.send("task.acquire", { id: "a", version: 1, pid: "w2", ttl: 10_000, holder: "w1" }, T0 + 2)).head.status).toBe(200);
        expect(s.takeMessages()).toEqual([]);
        expect(await stats(s)).toMatchObject([{ running: 1, queued: 1 }]);
        await s.settle("a", "resolved", T0 + 3);
        await expectFreedOnce(s, T0 + 4);
      });
    });

    it("drops a queued task whose promise settles, without touching the slots", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 1 });
      await start(s, "a");
      await start(s, "b", T0 + 1);
      await s.settle("b", "rejected_canceled", T0 + 2);
      expect(await stats(s)).toMatchObject([{ running: 1, queued: 0 }]);
      s.takeMessages();
      await s.settle("a", "resolved", T0 + 3);
      expect(s.takeMessages().filter((m) => m.message.kind === "execute")).toEqual([]);
      expect(await stats(s)).toMatchObject([{ running: 0, queued: 0 }]);
    });

    it("re-sends a dispatch nobody answered when a re-delivery would be due", async () => {
      const s = subject();
      await declare(s, { func: "charge", concurrency: 1 });
      await start(s, "a");
      await start(s, "b", T0 + 1);
      await s.settle("a", "resolved", T0 + 2);
      s.takeMessages();
      const due = await s.store.nextDeadline();
      expect(due).toBeGreaterThan(T0 + 2);
      await s.store.tick(due!);
      expect(s.takeMessages()).toEqual([executeMessage("b", 0)]);
    });

    it("keeps the latest declaration and names the one it replaced; no limits removes them", async () => {
      const s = subject();
      const first = await declare(s, { func: "charge", concurrency: 5 });
      expect(first.replaced).toEqual([]);
      expect(first.declared).toEqual([{ group: GROUP, pid: "w1", declaredAt: T0, func: "charge", concurrency: 5 }]);
      const second = await s.ok("reprise.declare_limits", { group: GROUP, pid: "w2", functions: [{ func: "charge", concurrency: 3 }] }, T0 + 1);
      expect(second.replaced).toEqual([{ group: GROUP, pid: "w1", declaredAt: T0, func: "charge", concurrency: 5 }]);
      const same = await s.ok("reprise.declare_limits", { group: GROUP, pid: "w3", functions: [{ func: "charge", concurrency: 3 }] }, T0 + 2);
      expect(same.replaced).toEqual([]);
      await s.ok("reprise.declare_limits", { group: GROUP, pid: "w3", functions: [{ func: "charge" }] }, T0 + 3);
      expect(await stats(s)).toEqual([]);
    });

    it("refuses a bad declaration or flow tag, naming the field", async () => {
      const s = subject();
      expect(await s.error("reprise.declare_limits", { group: GROUP, pid: "w1", functions: [{ func: "charge", concurrency: 0 }] }, 400)).toMatch(
        /functions\[0\]\.concurrency: expected a whole number from 1/,
      );
      expect(
        await s.error("reprise.declare_limits", { group: GROUP, pid: "w1", functions: [{ func: "charge", rateLimit: { limit: 5, periodMs: -1 } }] }, 400),
      ).toMatch(/functions\[0\]\.rateLimit\.periodMs/);
      expect(await s.error("promise.create", charge("x", { [TAG.priority]: "high" }).data, 400)).toMatch(/reprise:priority/);
      expect(await stats(s)).toEqual([]);
    });

    it("costs an unlimited acquisition no flow-control query", async () => {
      const calls: string[] = [];
      const { store, cleanup } = await open((backend) => countingFlowCalls(backend, calls));
      const s = new SubjectLike(store);
      try {
        await s.send("promise.create", charge("a").data);
        calls.length = 0; // the declarations' first read, at creation
        expect((await s.send("task.acquire", { id: "a", version: 0, pid: "w1", ttl: 10_000 })).head.status).toBe(200);
        expect((await s.send("task.release", { id: "a", version: 1 })).head.status).toBe(200);
        expect((await s.send("task.acquire", { id: "a", version: 1, pid: "w1", ttl: 10_000 })).head.status).toBe(200);
        expect((await s.send("promise.settle", { id: "a", state: "resolved", value: {} })).head.status).toBe(200);
        expect(calls).toEqual([]);
      } finally {
        await store.close();
        await cleanup?.();
      }
    });
  });
}

/** A minimal sender over a store opened outside the shared harness. */
class SubjectLike {
  constructor(readonly store: Awaited<ReturnType<OpenStore>>["store"]) {}
  send<K extends RequestOf<"promise.create">["kind"] | "task.acquire" | "task.release" | "promise.settle">(kind: K, data: RequestOf<K>["data"]) {
    return this.store.apply({ kind, head: HEAD, data } as RequestOf<K>, T0);
  }
}

const FLOW_METHODS = new Set(["getFlowLimit", "getFlowLimits", "lockFlowRow", "putFlowRow", "queueTask", "unqueueTask", "queuedAhead", "queueHeads", "deleteFlowRow", "dueFlowRows", "flowCounts"]);

/** The backend, its transactions recording every call of a flow-control method into `calls`. */
function countingFlowCalls(backend: Backend, calls: string[]): Backend {
  return Object.assign(Object.create(backend) as Backend, {
    transaction: <T>(work: (tx: Tx) => Promise<T>) =>
      backend.transaction((tx) =>
        work(
          new Proxy(tx, {
            get(target, property, receiver) {
              if (typeof property === "string" && FLOW_METHODS.has(property)) calls.push(property);
              const value = Reflect.get(target, property, receiver) as unknown;
              return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
            },
          }),
        ),
      ),
    close: () => backend.close(),
  });
}
