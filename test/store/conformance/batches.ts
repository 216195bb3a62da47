/**
 * Group commit: many requests, one transaction, each its own answer. A refused item changes
 * nothing and fails nobody; an item that throws is isolated; items see the writes of the items
 * before them; concurrent callers share a transaction. And the create that is born settled (a
 * step recorded in one write).
 */
import { describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../../src/protocol/records.js";
import type { Request, RequestKind, RequestOf, Response } from "../../../src/protocol/requests.js";
import type { Backend, Tx } from "../../../src/store/backend.js";
import type { Store } from "../../../src/store/store.js";
import { TAG } from "../../../src/protocol/tags.js";
import { executeMessage, T0, TARGETED, type OpenStore, type Subject } from "./harness.js";

function req<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], corrId: string = kind): Request {
  return { kind, head: { corrId, version: "test" }, data } as RequestOf<K>;
}

function create(id: string, fields: Partial<RequestOf<"promise.create">["data"]> = {}): Request {
  return req("promise.create", { id, timeoutAt: T0 + 60_000, param: {}, tags: {}, ...fields }, `create ${id}`);
}

/** A step recorded already settled: one write. */
function recorded(id: string, fields: Partial<RequestOf<"promise.create">["data"]> = {}): RequestOf<"promise.create"> {
  return {
    kind: "promise.create",
    head: { corrId: `recorded ${id}`, version: "test" },
    data: { id, timeoutAt: T0 + 60_000, param: { data: "cGFyYW0=" }, tags: {}, result: { state: "resolved", value: { data: "dmFsdWU=" } }, ...fields },
  };
}

function statuses(responses: readonly Response[]): number[] {
  return responses.map((res) => res.head.status);
}

function promiseIn(res: Response): PromiseRecord {
  expect(res.head.status, JSON.stringify(res.data)).toBe(200);
  return (res.data as { promise: PromiseRecord }).promise;
}

/** Between a store and its backend: counts transactions, and makes the insert of one id throw. */
function wrapper(options: { throwOnInsert?: string } = {}): { wrap: (backend: Backend) => Backend; transactions: () => number } {
  let transactions = 0;
  const wrap = (backend: Backend): Backend => ({
    transaction: (work) => {
      transactions++;
      return backend.transaction((tx) => work(throwing(tx, options.throwOnInsert)));
    },
    ...(backend.broadcast ? { broadcast: backend.broadcast } : {}),
    close: () => backend.close(),
  });
  return { wrap, transactions: () => transactions };
}

function throwing(tx: Tx, id: string | undefined): Tx {
  if (id === undefined) return tx;
  return Object.assign(Object.create(tx) as Tx, {
    insertPromise: async (promise: PromiseRecord) => {
      if (promise.id === id) throw new Error(`test: the insert of ${id} breaks`);
      return tx.insertPromise(promise);
    },
  });
}

async function withStore(open: OpenStore, wrap: (backend: Backend) => Backend, test: (store: Store) => Promise<void>): Promise<void> {
  const { store, cleanup } = await open(wrap);
  try {
    await test(store);
  } finally {
    await store.close();
    await cleanup?.();
  }
}

export function batchSpecs(subject: () => Subject, open: OpenStore): void {
  describe("batches (group commit)", () => {
    it("answers each item in order, with its own kind and corrId", async () => {
      const s = subject();
      const responses = await s.store.applyBatch(
        [create("a"), req("promise.get", { id: "a" }, "get a"), create("b", { tags: TARGETED }), req("task.get", { id: "b" }, "task b")],
        T0,
      );
      expect(responses.map((res) => [res.kind, res.head.corrId, res.head.status])).toEqual([
        ["promise.create", "create a", 200],
        ["promise.get", "get a", 200],
        ["promise.create", "create b", 200],
        ["task.get", "task b", 200],
      ]);
    });

    it("refuses an item (400, 404, 409) without touching its neighbours", async () => {
      const s = subject();
      await s.create("x", { idempotencyKey: "k1" });
      const before = await s.getPromise("x");
      const responses = await s.store.applyBatch(
        [
          create("a"),
          req("promise.settle", { id: "missing", state: "resolved", value: {} }),
          create("x", { idempotencyKey: "k2", param: { data: "b3RoZXI=" } }),
          create(""),
          create("b"),
        ],
        T0,
      );
      expect(statuses(responses)).toEqual([200, 404, 409, 400, 200]);
      expect((await s.getPromise("a")).state).toBe("pending");
      expect((await s.getPromise("b")).state).toBe("pending");
      expect(await s.getPromise("x")).toEqual(before);
      await s.error("promise.get", { id: "missing" }, 404);
    });

    it("lets each item see the writes of the items before it", async () => {
      const s = subject();
      const responses = await s.store.applyBatch(
        [
          create("p"),
          req("promise.settle", { id: "p", state: "resolved", value: { data: "ZG9uZQ==" } }),
          req("promise.get", { id: "p" }),
          create("t", { tags: TARGETED }),
          req("task.acquire", { id: "t", version: 0, pid: "w", ttl: 10_000 }),
          req("task.fence", { id: "t", version: 1, action: recorded("t.1") }),
          req("task.fulfill", { id: "t", version: 1, action: { kind: "promise.settle", head: { corrId: "", version: "" }, data: { id: "t", state: "resolved", value: {} } } }),
          req("task.fence", { id: "t", version: 1, action: recorded("t.2") }),
        ],
        T0,
      );
      expect(statuses(responses)).toEqual([200, 200, 200, 200, 200, 200, 200, 409]);
      expect(promiseIn(responses[2]!)).toMatchObject({ state: "resolved", value: { data: "ZG9uZQ==" }, settledAt: T0 });
      expect((await s.getPromise("t.1")).state).toBe("resolved");
      expect((await s.getTask("t")).state).toBe("fulfilled");
      await s.error("promise.get", { id: "t.2" }, 404);
    });

    it("honours callbacks and listeners registered earlier in the batch when a later item settles", async () => {
      const s = subject();
      await s.acquired("w");
      await s.create("old", { tags: { [TAG.scope]: "global" } });
      s.takeMessages();
      const callback = (awaited: string) => ({ kind: "promise.register_callback" as const, head: { corrId: "", version: "" }, data: { awaited, awaiter: "w" } });
      const responses = await s.store.applyBatch(
        [
          create("new", { tags: { [TAG.scope]: "global" } }),
          req("promise.register_listener", { awaited: "new", address: "poll://any@listener" }),
          req("promise.register_listener", { awaited: "old", address: "poll://any@listener" }),
          req("task.suspend", { id: "w", version: 1, actions: [callback("new"), callback("old")] }),
          req("promise.settle", { id: "old", state: "resolved", value: {} }),
          req("promise.settle", { id: "new", state: "resolved", value: {} }),
        ],
        T0,
      );
      expect(statuses(responses)).toEqual([200, 200, 200, 200, 200, 200]);
      const messages = s.takeMessages();
      expect(messages.filter((m) => m.message.kind === "unblock").map((m) => (m.message.data as { promise: PromiseRecord }).promise.id).sort()).toEqual(["new", "old"]);
      expect(messages.filter((m) => m.message.kind === "execute")).toEqual([executeMessage("w", 1)]);
      expect(await s.getTask("w")).toMatchObject({ state: "pending", resumes: ["old", "new"] });
    });

    it("isolates an item that throws: the batch's other items commit, and their messages are sent once", async () => {
      const { wrap } = wrapper({ throwOnInsert: "boom" });
      await withStore(open, wrap, async (store) => {
        const heard: string[] = [];
        store.onMessage((envelope) => heard.push(envelope.message.kind));
        const responses = await store.applyBatch([create("a", { tags: TARGETED }), create("boom"), create("b")], T0);
        expect(statuses(responses)).toEqual([200, 500, 200]);
        expect(responses[1]!.data).toContain("the insert of boom breaks");
        expect(heard).toEqual(["execute"]);
        const gets = await store.applyBatch(["a", "boom", "b"].map((id) => req("promise.get", { id })), T0);
        expect(statuses(gets)).toEqual([200, 404, 200]);
        // Alone, the same item fails its caller.
        await expect(store.apply(create("boom"), T0)).rejects.toThrow("the insert of boom breaks");
      });
    });

    it("applies concurrent callers in one transaction", async () => {
      const counter = wrapper();
      await withStore(open, counter.wrap, async (store) => {
        const responses = await Promise.all(Array.from({ length: 50 }, (_, n) => store.apply(create(`p${n}`), T0)));
        expect(new Set(statuses(responses))).toEqual(new Set([200]));
        expect(counter.transactions()).toBe(1);
        const batch = await store.applyBatch(Array.from({ length: 20 }, (_, n) => req("promise.get", { id: `p${n}` })), T0);
        expect(new Set(statuses(batch))).toEqual(new Set([200]));
        expect(counter.transactions()).toBe(2);
      });
    });
  });

  describe("promise.create with a result (born settled)", () => {
    it("records the promise settled: settledAt = createdAt = now, the result's state and value", async () => {
      const s = subject();
      const promise = promiseIn(await s.store.apply(recorded("r"), T0 + 5));
      expect(promise).toEqual({
        id: "r",
        state: "resolved",
        param: { data: "cGFyYW0=" },
        value: { data: "dmFsdWU=" },
        tags: {},
        timeoutAt: T0 + 60_000,
        createdAt: T0 + 5,
        settledAt: T0 + 5,
      });
      expect(await s.getPromise("r", T0 + 6)).toEqual(promise);
      const rejected = promiseIn(await s.store.apply(recorded("e", { result: { state: "rejected", value: { data: "ZXJy" } } }), T0));
      expect(rejected).toMatchObject({ state: "rejected", value: { data: "ZXJy" }, settledAt: T0 });
    });

    it("is idempotent: an existing promise is returned unchanged, pending or settled", async () => {
      const s = subject();
      const pending = (await s.create("p")).promise;
      expect(promiseIn(await s.store.apply(recorded("p"), T0 + 1))).toEqual(pending);
      const first = promiseIn(await s.store.apply(recorded("r"), T0));
      const again = promiseIn(await s.store.apply(recorded("r", { result: { state: "rejected", value: {} } }), T0 + 2));
      expect(again).toEqual(first);
    });

    it("is born timed out, as any create, when it arrives past its timeout", async () => {
      const s = subject();
      const promise = promiseIn(await s.store.apply(recorded("late", { timeoutAt: T0 - 10 }), T0));
      expect(promise).toMatchObject({ state: "rejected_timedout", value: {}, createdAt: T0 - 10, settledAt: T0 - 10 });
    });

    it("has nobody to tell: no callbacks or listeners run, no message is sent", async () => {
      const s = subject();
      await s.create("waiter", { tags: TARGETED });
      s.takeMessages();
      await s.store.apply(recorded("r", { tags: { "resonate:scope": "global" } }), T0);
      expect(s.takeMessages()).toEqual([]);
      // Registering afterwards finds it settled: nothing to wait for.
      expect((await s.ok("promise.register_listener", { awaited: "r", address: "poll://any@listener" })).promise.state).toBe("resolved");
      expect((await s.ok("promise.register_callback", { awaited: "r", awaiter: "waiter" })).promise.state).toBe("resolved");
      await s.ok("promise.settle", { id: "waiter", state: "resolved", value: {} }, T0 + 1);
      expect(s.takeMessages()).toEqual([]);
    });

    it("gives a promise with a target a fulfilled task and sends nothing", async () => {
      const s = subject();
      await s.store.apply(recorded("child", { tags: TARGETED }), T0);
      expect(await s.getTask("child")).toEqual({ id: "child", state: "fulfilled", version: 0, resumes: [] });
      expect(s.takeMessages()).toEqual([]);
    });

    it("records a step through task.fence in one request, refused once the fence fails", async () => {
      const s = subject();
      await s.acquired("wf");
      const res = await s.send("task.fence", { id: "wf", version: 1, action: recorded("wf.0") });
      expect(res.head.status).toBe(200);
      const action = (res.data as { action: Response<"promise.create"> }).action;
      expect(promiseIn(action)).toMatchObject({ id: "wf.0", state: "resolved", createdAt: T0, settledAt: T0 });
      await s.error("task.fence", { id: "wf", version: 2, action: recorded("wf.1") }, 409);
      await s.error("promise.get", { id: "wf.1" }, 404);
    });
  });
}
