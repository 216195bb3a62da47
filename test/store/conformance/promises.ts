/** Durable promises: create, settle, get, timeouts, idempotency keys, callbacks and listeners. */
import { describe, expect, it } from "vitest";
import { TAG } from "../../../src/protocol/tags.js";
import { executeMessage, T0, TARGET, type Subject } from "./harness.js";

export function promiseSpecs(subject: () => Subject): void {
  describe("promise.create", () => {
    it("creates a pending promise and echoes the request head", async () => {
      const s = subject();
      const res = await s.send("promise.create", {
        id: "p",
        timeoutAt: T0 + 1000,
        param: { headers: { h: "1" }, data: "cGFyYW0=" },
        tags: { color: "blue" },
      });
      expect(res.head).toEqual({ corrId: "promise.create-corr", status: 200, version: "test" });
      expect(res.data).toEqual({
        promise: {
          id: "p",
          state: "pending",
          param: { headers: { h: "1" }, data: "cGFyYW0=" },
          value: {},
          tags: { color: "blue" },
          timeoutAt: T0 + 1000,
          createdAt: T0,
        },
      });
      expect(await s.getPromise("p")).toEqual((res.data as { promise: unknown }).promise);
      expect(s.takeMessages()).toEqual([]);
    });

    it("is idempotent by id: a second create returns the first promise unchanged", async () => {
      const s = subject();
      const first = await s.create("p", { param: { data: "Zmlyc3Q=" } });
      const second = await s.create("p", { param: { data: "c2Vjb25k" }, timeoutAt: T0 + 5 }, T0 + 10);
      expect(second.promise).toEqual(first.promise);
    });

    it("answers a different idempotency key with 409 naming the id and both keys", async () => {
      const s = subject();
      const first = await s.create("p", { idempotencyKey: "key-a" });
      expect(first.promise.idempotencyKeyForCreate).toBe("key-a");
      expect((await s.create("p", { idempotencyKey: "key-a" })).promise).toEqual(first.promise);
      expect((await s.create("p")).promise).toEqual(first.promise);
      const message = await s.error("promise.create", { id: "p", timeoutAt: T0 + 1000, param: {}, tags: {}, idempotencyKey: "key-b" }, 409);
      expect(message).toContain('"p"');
      expect(message).toContain('"key-a"');
      expect(message).toContain('"key-b"');
    });

    it("refuses a key on a promise created without one", async () => {
      const s = subject();
      await s.create("p");
      const message = await s.error("promise.create", { id: "p", timeoutAt: T0 + 1000, param: {}, tags: {}, idempotencyKey: "key-b" }, 409);
      expect(message).toContain("no idempotency key");
    });

    it("creates a promise past its timeout already timed out (or resolved, for a timer)", async () => {
      const s = subject();
      const late = await s.create("late", { timeoutAt: T0 - 5 });
      expect(late.promise).toMatchObject({ state: "rejected_timedout", createdAt: T0 - 5, settledAt: T0 - 5, value: {} });
      const timer = await s.create("timer", { timeoutAt: T0, tags: { [TAG.timer]: "true" } });
      expect(timer.promise).toMatchObject({ state: "resolved", createdAt: T0, settledAt: T0 });
    });

    it("gives a targeted promise a pending task and sends it to the target", async () => {
      const s = subject();
      await s.createTargeted("root");
      expect(await s.getTask("root")).toMatchObject({ id: "root", state: "pending", version: 0, resumes: [] });
      expect(s.takeMessages()).toEqual([executeMessage("root", 0)]);
    });

    it("gives a targeted promise born timed out a fulfilled task and sends nothing", async () => {
      const s = subject();
      await s.createTargeted("root", { timeoutAt: T0 - 1 });
      expect(await s.getTask("root")).toMatchObject({ state: "fulfilled", version: 0 });
      expect(s.takeMessages()).toEqual([]);
    });

    it("holds back the task of a delayed promise until resonate:delay", async () => {
      const s = subject();
      await s.createTargeted("later", { tags: { [TAG.delay]: String(T0 + 5000) } });
      expect(s.takeMessages()).toEqual([]);
      expect(await s.store.nextDeadline()).toBe(T0 + 5000);
      await s.store.tick(T0 + 5000);
      expect(s.takeMessages()).toEqual([executeMessage("later", 0)]);
    });
  });

  describe("promise.settle", () => {
    for (const state of ["resolved", "rejected", "rejected_canceled"] as const) {
      it(`settles a pending promise as ${state}`, async () => {
        const s = subject();
        await s.create("p");
        const { promise } = await s.settle("p", state, T0 + 7, "dmFsdWU=");
        expect(promise).toMatchObject({ id: "p", state, value: { data: "dmFsdWU=" }, settledAt: T0 + 7, createdAt: T0 });
        expect(await s.getPromise("p", T0 + 8)).toEqual(promise);
      });
    }

    it("is idempotent: settling a settled promise returns it unchanged", async () => {
      const s = subject();
      await s.create("p");
      const first = await s.settle("p", "resolved", T0 + 1, "b25l");
      const again = await s.settle("p", "rejected", T0 + 2, "dHdv");
      expect(again.promise).toEqual(first.promise);
    });

    it("answers a different completion key with 409; the same key or none gets the promise", async () => {
      const s = subject();
      await s.create("p");
      const settle = (idempotencyKey?: string, data = "eA==") =>
        s.send("promise.settle", { id: "p", state: "resolved", value: { data }, idempotencyKey }, T0 + 1);
      const first = await settle("done-1");
      expect(first.head.status).toBe(200);
      expect((first.data as { promise: { idempotencyKeyForComplete?: string } }).promise.idempotencyKeyForComplete).toBe("done-1");
      expect((await settle("done-1", "eQ==")).data).toEqual(first.data);
      expect((await settle(undefined, "eQ==")).data).toEqual(first.data);
      const conflict = await settle("done-2");
      expect(conflict.head.status).toBe(409);
      expect(conflict.data).toContain('"done-1"');
      expect(conflict.data).toContain('"done-2"');
      expect(await s.getPromise("p")).toEqual((first.data as { promise: unknown }).promise);
    });

    it("answers 404 for an unknown promise", async () => {
      const s = subject();
      expect(await s.error("promise.settle", { id: "nope", state: "resolved", value: {} }, 404)).toBe("Promise not found");
    });

    it("finds a pending promise past its timeout timed out, and leaves it so", async () => {
      const s = subject();
      await s.create("p", { timeoutAt: T0 + 100 });
      const { promise } = await s.settle("p", "resolved", T0 + 100);
      expect(promise).toMatchObject({ state: "rejected_timedout", settledAt: T0 + 100, value: {} });
      expect(await s.getPromise("p", T0 + 200)).toEqual(promise);
    });

    it("finds a timer past its timeout resolved", async () => {
      const s = subject();
      await s.create("sleep", { timeoutAt: T0 + 100, tags: { [TAG.timer]: "true" } });
      const { promise } = await s.settle("sleep", "rejected", T0 + 150);
      expect(promise).toMatchObject({ state: "resolved", settledAt: T0 + 100 });
    });
  });

  describe("promise.get", () => {
    it("answers 404 for an unknown promise", async () => {
      expect(await subject().error("promise.get", { id: "nope" }, 404)).toBe("Promise not found");
    });

    it("reads a pending promise past its timeout as timed out before any tick", async () => {
      const s = subject();
      await s.create("p", { timeoutAt: T0 + 100 });
      expect(await s.getPromise("p", T0 + 99)).toMatchObject({ state: "pending" });
      expect(await s.getPromise("p", T0 + 100)).toMatchObject({ state: "rejected_timedout", settledAt: T0 + 100 });
      await s.create("t", { timeoutAt: T0 + 100, tags: { [TAG.timer]: "true" } });
      expect(await s.getPromise("t", T0 + 500)).toMatchObject({ state: "resolved", settledAt: T0 + 100 });
    });
  });

  describe("promise.register_listener", () => {
    it("sends unblock with the settled promise to the listener's address", async () => {
      const s = subject();
      await s.create("ext", { tags: { [TAG.external]: "true" } });
      const { promise } = await s.ok("promise.register_listener", { awaited: "ext", address: "poll://uni@g/p1" });
      expect(promise.state).toBe("pending");
      const settled = await s.settle("ext", "resolved", T0 + 1, "b2s=");
      expect(s.takeMessages()).toEqual([
        { address: "poll://uni@g/p1", message: { kind: "unblock", head: {}, data: { promise: settled.promise } } },
      ]);
    });

    it("answers 404 for an unknown promise and 422 for one nobody outside a task settles", async () => {
      const s = subject();
      expect(await s.error("promise.register_listener", { awaited: "nope", address: "a" }, 404)).toBe("Promise not found");
      await s.create("inner");
      expect(await s.error("promise.register_listener", { awaited: "inner", address: "a" }, 422)).toBe(
        "Awaited promise is not awaitable",
      );
    });

    it("registers nothing on a settled promise and returns it", async () => {
      const s = subject();
      await s.create("ext", { tags: { [TAG.external]: "true" } });
      await s.settle("ext");
      const { promise } = await s.ok("promise.register_listener", { awaited: "ext", address: "a" });
      expect(promise.state).toBe("resolved");
      expect(s.takeMessages()).toEqual([]);
    });
  });

  describe("promise.register_callback", () => {
    it("resumes the awaiter's suspended task with an execute message when the awaited settles", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1");
      const registered = await s.ok("promise.register_callback", { awaited: "root.1", awaiter: "root" });
      expect(registered.promise.state).toBe("pending");
      await s.ok("task.suspend", {
        id: "root",
        version: 1,
        actions: [{ kind: "promise.register_callback", head: { corrId: "c", version: "v" }, data: { awaited: "root.1", awaiter: "root" } }],
      });
      expect(await s.getTask("root")).toMatchObject({ state: "suspended", version: 1 });
      s.takeMessages();
      await s.settle("root.1", "resolved", T0 + 5);
      expect(await s.getTask("root")).toMatchObject({ state: "pending", version: 1, resumes: ["root.1"] });
      expect(s.takeMessages()).toEqual([executeMessage("root", 1)]);
    });

    it("notes the settled promise in resumes when the awaiter's task is busy", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1");
      await s.ok("promise.register_callback", { awaited: "root.1", awaiter: "root" });
      await s.settle("root.1");
      expect(await s.getTask("root")).toMatchObject({ state: "acquired", resumes: ["root.1"] });
    });

    it("refuses unknown promises, an awaiter without address, and awaiting oneself", async () => {
      const s = subject();
      await s.createTargeted("root");
      await s.create("plain");
      expect(await s.error("promise.register_callback", { awaited: "nope", awaiter: "root" }, 404)).toBe("Awaited promise not found");
      expect(await s.error("promise.register_callback", { awaited: "plain", awaiter: "nope" }, 422)).toBe("Awaiter promise not found");
      expect(await s.error("promise.register_callback", { awaited: "root", awaiter: "plain" }, 422)).toBe("Awaiter has no address");
      expect(await s.error("promise.register_callback", { awaited: "root", awaiter: "root" }, 400)).toBe(
        "Awaited and awaiter must be different",
      );
    });

    it("registers nothing when the awaited promise has settled and returns it", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1");
      await s.settle("root.1");
      const { promise } = await s.ok("promise.register_callback", { awaited: "root.1", awaiter: "root" });
      expect(promise.state).toBe("resolved");
    });
  });

  describe("tick: promise timeouts", () => {
    it("settles every due pending promise, with or without a target, and fires its listeners", async () => {
      const s = subject();
      await s.create("plain", { timeoutAt: T0 + 100, tags: { [TAG.external]: "true" } });
      await s.create("sleep", { timeoutAt: T0 + 100, tags: { [TAG.timer]: "true" } });
      await s.createTargeted("root", { timeoutAt: T0 + 200 });
      await s.ok("promise.register_listener", { awaited: "plain", address: "poll://uni@g/p" });
      s.takeMessages();
      expect(await s.store.tick(T0 + 99)).toBe(0);
      expect(await s.store.tick(T0 + 150)).toBe(2);
      const unblocks = s.takeMessages();
      expect(unblocks).toHaveLength(1);
      expect(unblocks[0]).toMatchObject({ address: "poll://uni@g/p", message: { kind: "unblock" } });
      expect(await s.getPromise("plain", T0)).toMatchObject({ state: "rejected_timedout", settledAt: T0 + 100 });
      expect(await s.getPromise("sleep", T0)).toMatchObject({ state: "resolved", settledAt: T0 + 100 });
      expect(await s.store.tick(T0 + 200)).toBeGreaterThanOrEqual(1);
      expect(await s.getPromise("root", T0)).toMatchObject({ state: "rejected_timedout" });
      expect(await s.getTask("root", T0)).toMatchObject({ state: "fulfilled" });
    });

    it("resumes a task suspended on a timer when the timer fires", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1", { timeoutAt: T0 + 1000, tags: { [TAG.timer]: "true" } });
      await s.ok("task.suspend", {
        id: "root",
        version: 1,
        actions: [{ kind: "promise.register_callback", head: { corrId: "c", version: "v" }, data: { awaited: "root.1", awaiter: "root" } }],
      });
      s.takeMessages();
      await s.store.tick(T0 + 1000);
      expect(s.takeMessages()).toEqual([executeMessage("root", 1, TARGET)]);
      expect(await s.getTask("root", T0 + 1000)).toMatchObject({ state: "pending", resumes: ["root.1"] });
    });
  });
}
