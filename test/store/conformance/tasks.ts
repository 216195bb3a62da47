/** Tasks: create, acquire, release, suspend, fulfill, fence, heartbeat, halt, continue, get. */
import { MAX_PAGE_BYTES } from "../../../src/protocol/limits.js";
import { describe, expect, it } from "vitest";
import type { RequestOf } from "../../../src/protocol/requests.js";
import { TAG } from "../../../src/protocol/tags.js";
import { executeMessage, T0, TARGETED, type Subject } from "./harness.js";

const HEAD = { corrId: "inner", version: "test" };

function callback(awaited: string, awaiter: string): RequestOf<"promise.register_callback"> {
  return { kind: "promise.register_callback", head: HEAD, data: { awaited, awaiter } };
}

function settleAction(id: string, state: "resolved" | "rejected" = "resolved", data = "ZG9uZQ=="): RequestOf<"promise.settle"> {
  return { kind: "promise.settle", head: HEAD, data: { id, state, value: { data } } };
}

function createAction(id: string, tags: Record<string, string> = {}, timeoutAt = T0 + 60_000): RequestOf<"promise.create"> {
  return { kind: "promise.create", head: HEAD, data: { id, timeoutAt, param: {}, tags } };
}

export function taskSpecs(subject: () => Subject): void {
  describe("task.create", () => {
    it("creates the promise and its task, acquired by the caller at version 1", async () => {
      const s = subject();
      const data = await s.ok("task.create", { pid: "w1", ttl: 5000, action: createAction("root", TARGETED) });
      expect(data.task).toMatchObject({ id: "root", state: "acquired", version: 1, pid: "w1", ttl: 5000, resumes: [] });
      expect(data.promise).toMatchObject({ id: "root", state: "pending", tags: TARGETED });
      expect(data.preload).toEqual([]);
      expect(s.takeMessages()).toEqual([]);
    });

    it("answers 409 when the task exists and is held", async () => {
      const s = subject();
      await s.ok("task.create", { pid: "w1", ttl: 5000, action: createAction("root", TARGETED) });
      expect(await s.error("task.create", { pid: "w2", ttl: 5000, action: createAction("root", TARGETED) }, 409)).toBe(
        "Task already exists",
      );
    });

    it("acquires an existing pending task", async () => {
      const s = subject();
      await s.createTargeted("root");
      const data = await s.ok("task.create", { pid: "w2", ttl: 5000, action: createAction("root", TARGETED) });
      expect(data.task).toMatchObject({ state: "acquired", version: 1, pid: "w2" });
    });

    it("returns a fulfilled task as it is", async () => {
      const s = subject();
      await s.createTargeted("root");
      await s.settle("root");
      const data = await s.ok("task.create", { pid: "w2", ttl: 5000, action: createAction("root", TARGETED) });
      expect(data.task).toMatchObject({ state: "fulfilled" });
      expect(data.promise.state).toBe("resolved");
    });

    it("refuses an action without target (400) and a promise without address (422)", async () => {
      const s = subject();
      expect(await s.error("task.create", { pid: "w1", ttl: 5000, action: createAction("root") }, 400)).toBe(
        "Action must have a resonate:target tag",
      );
      await s.create("plain");
      expect(await s.error("task.create", { pid: "w1", ttl: 5000, action: createAction("plain", TARGETED) }, 422)).toBe(
        "Promise has no address",
      );
    });

    it("creates a promise past its timeout timed out, with a fulfilled task", async () => {
      const s = subject();
      const data = await s.ok("task.create", { pid: "w1", ttl: 5000, action: createAction("root", TARGETED, T0 - 1) });
      expect(data.promise.state).toBe("rejected_timedout");
      expect(data.task).toMatchObject({ state: "fulfilled", version: 0 });
    });
  });

  describe("task.acquire", () => {
    it("acquires a pending task: version + 1, pid, ttl, lease end", async () => {
      const s = subject();
      await s.createTargeted("root");
      const data = await s.ok("task.acquire", { id: "root", version: 0, pid: "w1", ttl: 5000 }, T0 + 10);
      expect(data.task).toEqual({ id: "root", state: "acquired", version: 1, resumes: [], pid: "w1", ttl: 5000, expiresAt: T0 + 5010 });
      expect(data.promise).toMatchObject({ id: "root", state: "pending" });
      expect(await s.getTask("root", T0 + 10)).toEqual(data.task);
    });

    it("refuses an unknown task, a wrong version and a task not pending", async () => {
      const s = subject();
      expect(await s.error("task.acquire", { id: "nope", version: 0, pid: "w1", ttl: 5000 }, 404)).toBe("Task not found");
      await s.createTargeted("root");
      expect(await s.error("task.acquire", { id: "root", version: 3, pid: "w1", ttl: 5000 }, 409)).toBe("Version mismatch");
      await s.ok("task.acquire", { id: "root", version: 0, pid: "w1", ttl: 5000 });
      expect(await s.error("task.acquire", { id: "root", version: 1, pid: "w2", ttl: 5000 }, 409)).toBe(
        "Task not in pending state",
      );
    });

    it("takes a task over from the holder it names (Reprise extension), in one write, and refuses any other", async () => {
      const s = subject();
      await s.createTargeted("root");
      await s.ok("task.acquire", { id: "root", version: 0, pid: "dead", ttl: 5000 });
      expect(await s.error("task.acquire", { id: "root", version: 1, pid: "w2", ttl: 5000, holder: "someone-else" }, 409)).toBe(
        "Task not acquired by that holder",
      );
      expect(await s.error("task.acquire", { id: "root", version: 0, pid: "w2", ttl: 5000, holder: "dead" }, 409)).toBe("Version mismatch");
      const data = await s.ok("task.acquire", { id: "root", version: 1, pid: "w2", ttl: 5000, holder: "dead" }, T0 + 10);
      expect(data.task).toEqual({ id: "root", state: "acquired", version: 2, resumes: [], pid: "w2", ttl: 5000, expiresAt: T0 + 5010 });
      // The dead holder's fenced writes are refused from now on.
      expect(await s.error("task.fence", { id: "root", version: 1, action: createAction("root.1") }, 409)).toBe("Fence check failed");
      // A pending task is not taken over: that is a plain acquire.
      await s.ok("task.release", { id: "root", version: 2 });
      expect(await s.error("task.acquire", { id: "root", version: 2, pid: "w3", ttl: 5000, holder: "w2" }, 409)).toBe("Task not acquired by that holder");
    });

    it("names the holders of acquired tasks (Reprise extension), ordered, a page at a time", async () => {
      const s = subject();
      for (const [id, pid] of [["a", "w2"], ["b", "w1"], ["c", "w2"], ["d", "w3"]] as const) {
        await s.createTargeted(id);
        await s.ok("task.acquire", { id, version: 0, pid, ttl: 5000 });
      }
      // A released task is held by nobody.
      await s.ok("task.release", { id: "d", version: 1 });
      expect(await s.ok("reprise.holders", {})).toEqual({ holders: ["w1", "w2"] });
      const first = await s.ok("reprise.holders", { limit: 1 });
      expect(first.holders).toEqual(["w1"]);
      expect(await s.ok("reprise.holders", { limit: 1, cursor: first.cursor! })).toEqual({ holders: ["w2"] });
    });

    it("takes over every task of a holder at once (Reprise extension), each as a take-over by acquire, a page at a time", async () => {
      const s = subject();
      for (const id of ["r1", "r2", "r3", "s1"]) {
        await s.createTargeted(id);
        await s.ok("task.acquire", { id, version: 0, pid: id.startsWith("r") ? "dead" : "alive", ttl: 5000 });
      }
      await s.create("r2.1");
      const first = await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000, limit: 2 }, T0 + 10);
      expect(first.taken.map(({ task }) => task)).toEqual([
        { id: "r1", state: "acquired", version: 2, resumes: [], pid: "w2", ttl: 5000, expiresAt: T0 + 5010 },
        { id: "r2", state: "acquired", version: 2, resumes: [], pid: "w2", ttl: 5000, expiresAt: T0 + 5010 },
      ]);
      expect(first.taken.map(({ promise }) => promise.id)).toEqual(["r1", "r2"]);
      expect(first.taken[1]!.preload.map((p) => p.id)).toEqual(["r2.1"]);
      expect(first.cursor).toBeDefined();
      const rest = await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000, limit: 2, cursor: first.cursor! }, T0 + 10);
      expect(rest.taken.map(({ task }) => task.id)).toEqual(["r3"]);
      expect(rest.cursor).toBeUndefined();
      // The dead holder's fenced writes are refused; another holder's tasks are left alone.
      expect(await s.error("task.fence", { id: "r1", version: 1, action: createAction("r1.1") }, 409)).toBe("Fence check failed");
      expect((await s.ok("task.get", { id: "s1" })).task).toMatchObject({ pid: "alive", version: 1 });
      expect(await s.ok("reprise.holders", {})).toEqual({ holders: ["alive", "w2"] });
      expect(await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000 })).toEqual({ taken: [] });
    });

    it("preloads each taken execution's whole history, however many records it has (Reprise extension)", async () => {
      const s = subject();
      // Histories shorter and longer than the first read of a preload (search.ts FIRST_READ).
      const histories: Record<string, string[]> = {
        r1: [],
        r2: ["r2.1"],
        r3: Array.from({ length: 12 }, (_, n) => `r3.${n}`).flatMap((id, n) => (n % 4 === 0 ? [id, `${id}.1`] : [id])),
        r4: Array.from({ length: 8 }, (_, n) => `r4.${n}`),
      };
      for (const [id, children] of Object.entries(histories)) {
        await s.createTargeted(id);
        await s.ok("task.acquire", { id, version: 0, pid: "dead", ttl: 5000 });
        for (const child of children) await s.create(child);
      }
      await s.create("r3-sibling.1");
      await s.settle("r3.5");
      const { taken } = await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000 }, T0 + 10);
      expect(Object.fromEntries(taken.map(({ task, preload }) => [task.id, preload.map((p) => p.id)]))).toEqual(
        Object.fromEntries(Object.entries(histories).map(([id, children]) => [id, [...children].sort()])),
      );
      expect(taken.find(({ task }) => task.id === "r3")!.preload.find((p) => p.id === "r3.5")!.state).toBe("resolved");
    });

    it("cuts a take-over short once its answer holds a search page's bytes, and goes on from there", async () => {
      const s = subject();
      // Each execution's history is one record of about 3 MB: the fourth would pass MAX_PAGE_BYTES.
      const big = "A".repeat(3_000_000);
      for (const id of ["r1", "r2", "r3", "r4"]) {
        await s.createTargeted(id);
        await s.ok("task.acquire", { id, version: 0, pid: "dead", ttl: 5000 });
        await s.create(`${id}.1`, { param: { data: big } });
      }
      const first = await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000 });
      expect(first.taken.map(({ task }) => task.id)).toEqual(["r1", "r2", "r3"]);
      expect(first.cursor).toBeDefined();
      const rest = await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000, cursor: first.cursor! });
      expect(rest).toMatchObject({ taken: [{ task: { id: "r4", pid: "w2" } }] });
      expect(rest.cursor).toBeUndefined();
    });

    it("passes over a task it cannot take (its promise timed out), and moves on past it", async () => {
      const s = subject();
      await s.createTargeted("late", { timeoutAt: T0 + 100 });
      await s.createTargeted("ok");
      for (const id of ["late", "ok"]) await s.ok("task.acquire", { id, version: 0, pid: "dead", ttl: 5000 });
      const first = await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000, limit: 1 }, T0 + 200);
      expect(first.taken).toEqual([]);
      expect(first.cursor).toBeDefined();
      expect((await s.ok("task.get", { id: "late" }, T0 + 200)).task.state).toBe("fulfilled");
      const rest = await s.ok("reprise.take_over", { holder: "dead", pid: "w2", ttl: 5000, limit: 1, cursor: first.cursor! }, T0 + 200);
      expect(rest.taken.map(({ task }) => [task.id, task.pid])).toEqual([["ok", "w2"]]);
    });

    it("preloads the promises under the task's id", async () => {
      const s = subject();
      await s.createTargeted("root");
      await s.create("root.1");
      await s.create("root.2");
      await s.settle("root.2");
      await s.create("root.1.1");
      await s.create("rootless");
      await s.create("root-other");
      const { preload } = await s.ok("task.acquire", { id: "root", version: 0, pid: "w1", ttl: 5000 });
      expect(preload.map((p) => p.id)).toEqual(["root.1", "root.1.1", "root.2"]);
      expect(preload.find((p) => p.id === "root.2")?.state).toBe("resolved");
    });

    it("says when it cut the preload short at the byte budget, and only then", async () => {
      const s = subject();
      await s.createTargeted("root");
      const children = ["root.1", "root.2", "root.3", "root.4"];
      for (const id of children) await s.create(id, { param: { data: "A".repeat(Math.ceil(MAX_PAGE_BYTES / 3) + 1) } });
      const cut = await s.ok("task.acquire", { id: "root", version: 0, pid: "w1", ttl: 5000 });
      expect(cut.preload.map((p) => p.id)).toEqual(["root.1", "root.2", "root.3"]);
      expect(cut.preloadTruncated).toBe(true);

      await s.createTargeted("small");
      await s.create("small.1");
      const whole = await s.ok("task.acquire", { id: "small", version: 0, pid: "w1", ttl: 5000 });
      expect(whole.preload.map((p) => p.id)).toEqual(["small.1"]);
      expect("preloadTruncated" in whole).toBe(false);
    });

    it("preloads the promises of the task's resonate:branch named `${id}:…`", async () => {
      const s = subject();
      await s.createTargeted("app", { tags: { [TAG.branch]: "app" } });
      await s.create("app:1", { tags: { [TAG.branch]: "app" } });
      await s.create("app:2", { tags: { [TAG.branch]: "app:2" } });
      const { preload } = await s.ok("task.acquire", { id: "app", version: 0, pid: "w1", ttl: 5000 });
      expect(preload.map((p) => p.id)).toEqual(["app:1"]);
    });
  });

  describe("task.release", () => {
    it("puts the task back to pending at the same version and sends it again", async () => {
      const s = subject();
      await s.acquired("root");
      s.takeMessages();
      await s.ok("task.release", { id: "root", version: 1 });
      expect(await s.getTask("root")).toMatchObject({ state: "pending", version: 1 });
      expect(s.takeMessages()).toEqual([executeMessage("root", 1)]);
    });

    it("backs off re-delivery of a task released again without progress: 1 s, then doubling", async () => {
      const s = subject();
      await s.acquired("root");
      await s.ok("task.fence", { id: "root", version: 1, action: createAction("root.1") });
      s.takeMessages();
      await s.ok("task.release", { id: "root", version: 1 }, T0 + 1);
      expect(s.takeMessages()).toEqual([executeMessage("root", 1)]);
      // Replays repeat the write already made (no progress), then release again.
      let now = T0 + 10;
      for (const [version, delay] of [[1, 1_000], [2, 2_000], [3, 4_000]] as const) {
        await s.ok("task.acquire", { id: "root", version, pid: "w1", ttl: 60_000 }, now);
        await s.ok("task.fence", { id: "root", version: version + 1, action: createAction("root.1") }, now);
        await s.ok("task.release", { id: "root", version: version + 1 }, now);
        expect(s.takeMessages()).toEqual([]);
        expect(await s.getTask("root")).toMatchObject({ state: "pending", expiresAt: now + delay, releases: version + 1 });
        await s.store.tick(now + delay - 1);
        expect(s.takeMessages()).toEqual([]);
        await s.store.tick(now + delay);
        expect(s.takeMessages()).toEqual([executeMessage("root", version + 1)]);
        now += delay + 10;
      }
    });

    it("ends the backoff when the task makes progress (a new promise written)", async () => {
      const s = subject();
      await s.acquired("root");
      await s.ok("task.release", { id: "root", version: 1 });
      await s.ok("task.acquire", { id: "root", version: 1, pid: "w1", ttl: 60_000 });
      await s.ok("task.fence", { id: "root", version: 2, action: createAction("root.1") });
      expect((await s.getTask("root")).releases).toBeUndefined();
      s.takeMessages();
      await s.ok("task.release", { id: "root", version: 2 });
      expect(s.takeMessages()).toEqual([executeMessage("root", 2)]);
    });

    it("refuses an unknown task, a wrong version and a task not acquired", async () => {
      const s = subject();
      expect(await s.error("task.release", { id: "nope", version: 1 }, 404)).toBe("Task not found");
      await s.acquired("root");
      expect(await s.error("task.release", { id: "root", version: 7 }, 409)).toBe("Version mismatch");
      await s.ok("task.release", { id: "root", version: 1 });
      expect(await s.error("task.release", { id: "root", version: 1 }, 409)).toBe("Task not acquired");
    });
  });

  describe("task.suspend", () => {
    it("suspends (200) when every awaited promise is pending", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1");
      await s.create("root.2");
      const data = await s.ok("task.suspend", { id: "root", version: 1, actions: [callback("root.1", "root"), callback("root.2", "root")] });
      expect(data).toEqual({});
      expect(await s.getTask("root")).toEqual({ id: "root", state: "suspended", version: 1, resumes: [] });
    });

    it("keeps the task (300, with a preload) when an awaited promise has settled", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1");
      await s.create("root.2");
      await s.settle("root.2", "resolved", T0, "Mg==");
      const data = await s.ok(
        "task.suspend",
        { id: "root", version: 1, actions: [callback("root.1", "root"), callback("root.2", "root")] },
        T0,
        300,
      );
      expect(data.preload?.map((p) => p.id)).toEqual(["root.1", "root.2"]);
      expect(await s.getTask("root")).toMatchObject({ state: "acquired", version: 1 });
      // No callback was left behind: settling root.1 does not touch the task.
      await s.settle("root.1");
      expect(await s.getTask("root")).toMatchObject({ state: "acquired", resumes: [] });
    });

    it("refuses bad action lists (400), missing awaited promises (422), and stale holders (409)", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1");
      expect(await s.error("task.suspend", { id: "root", version: 1, actions: [] }, 400)).toBe("Actions list must not be empty");
      expect(await s.error("task.suspend", { id: "root", version: 1, actions: [callback("root.1", "other")] }, 400)).toBe(
        "Awaiter must be the suspending task",
      );
      expect(await s.error("task.suspend", { id: "root", version: 1, actions: [callback("root", "root")] }, 400)).toBe(
        "Task cannot await its own promise",
      );
      expect(await s.error("task.suspend", { id: "root", version: 1, actions: [callback("nope", "root")] }, 422)).toBe(
        "Awaited promise not found",
      );
      expect(await s.error("task.suspend", { id: "root", version: 2, actions: [callback("root.1", "root")] }, 409)).toBe(
        "Version mismatch",
      );
      expect(await s.error("task.suspend", { id: "nope", version: 1, actions: [callback("root.1", "nope")] }, 404)).toBe(
        "Task not found",
      );
    });
  });

  describe("task.fulfill", () => {
    it("settles the task's promise and fulfils the task", async () => {
      const s = subject();
      await s.acquired("root");
      const { promise } = await s.ok("task.fulfill", { id: "root", version: 1, action: settleAction("root") }, T0 + 3);
      expect(promise).toMatchObject({ id: "root", state: "resolved", value: { data: "ZG9uZQ==" }, settledAt: T0 + 3 });
      expect(await s.getTask("root")).toEqual({ id: "root", state: "fulfilled", version: 1, resumes: [] });
      expect(await s.error("task.fulfill", { id: "root", version: 1, action: settleAction("root") }, 409)).toBe("Task not acquired");
    });

    it("refuses a mismatched promise id (400), a wrong version (409) and an unknown task (404)", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("other");
      expect(await s.error("task.fulfill", { id: "root", version: 1, action: settleAction("other") }, 400)).toBe(
        "Promise ID must match task ID",
      );
      expect(await s.error("task.fulfill", { id: "root", version: 2, action: settleAction("root") }, 409)).toBe("Version mismatch");
      expect(await s.error("task.fulfill", { id: "nope", version: 1, action: settleAction("nope") }, 404)).toBe("Task not found");
    });

    it("lets someone else settle the root promise (external cancel), which fulfils the task", async () => {
      const s = subject();
      await s.acquired("root");
      await s.settle("root", "rejected_canceled");
      expect(await s.getTask("root")).toMatchObject({ state: "fulfilled" });
      expect(await s.error("task.fulfill", { id: "root", version: 1, action: settleAction("root") }, 409)).toBe("Task not acquired");
      expect((await s.getPromise("root")).state).toBe("rejected_canceled");
    });
  });

  describe("task.fence", () => {
    it("runs a create or a settle while the caller holds the task", async () => {
      const s = subject();
      await s.acquired("root");
      const created = await s.ok("task.fence", { id: "root", version: 1, action: createAction("root.1") });
      expect(created.action).toMatchObject({ kind: "promise.create", head: { corrId: "inner", status: 200, version: "test" } });
      expect(created.action.data).toMatchObject({ promise: { id: "root.1", state: "pending" } });
      expect(created.preload).toEqual([]);
      const settled = await s.ok("task.fence", { id: "root", version: 1, action: settleAction("root.1") });
      expect(settled.action.data).toMatchObject({ promise: { id: "root.1", state: "resolved" } });
    });

    it("passes the inner status through", async () => {
      const s = subject();
      await s.acquired("root");
      const data = await s.ok("task.fence", { id: "root", version: 1, action: settleAction("root.9") });
      expect(data.action).toMatchObject({ head: { status: 404 }, data: "Promise not found" });
    });

    it("fails the fence check for a stale version, a task not acquired, and answers 404 for no task", async () => {
      const s = subject();
      await s.acquired("root");
      expect(await s.error("task.fence", { id: "root", version: 2, action: createAction("root.1") }, 409)).toBe("Fence check failed");
      await s.ok("task.release", { id: "root", version: 1 });
      expect(await s.error("task.fence", { id: "root", version: 1, action: createAction("root.1") }, 409)).toBe("Fence check failed");
      expect(await s.error("task.fence", { id: "nope", version: 1, action: createAction("nope.1") }, 404)).toBe("Task not found");
      expect(await s.error("promise.get", { id: "root.1" }, 404)).toBe("Promise not found");
    });
  });

  describe("task.heartbeat", () => {
    it("extends the leases the caller holds and ignores the rest", async () => {
      const s = subject();
      await s.acquired("a", "w1", 1000);
      await s.acquired("b", "w2", 1000);
      await s.ok(
        "task.heartbeat",
        { pid: "w1", tasks: [{ id: "a", version: 1 }, { id: "b", version: 1 }, { id: "nope", version: 1 }] },
        T0 + 500,
      );
      expect((await s.getTask("a")).expiresAt).toBe(T0 + 1500);
      expect((await s.getTask("b")).expiresAt).toBe(T0 + 1000);
    });
  });

  describe("task.halt and task.continue", () => {
    it("halts a task, keeps it halted, and continues it as pending with an execute message", async () => {
      const s = subject();
      await s.acquired("root");
      s.takeMessages();
      await s.ok("task.halt", { id: "root" });
      expect(await s.getTask("root")).toEqual({ id: "root", state: "halted", version: 1, resumes: [] });
      await s.ok("task.halt", { id: "root" });
      await s.ok("task.continue", { id: "root" });
      expect(await s.getTask("root")).toMatchObject({ state: "pending", version: 1 });
      expect(s.takeMessages()).toEqual([executeMessage("root", 1)]);
    });

    it("refuses to continue a task that is not halted and to halt a fulfilled one", async () => {
      const s = subject();
      await s.acquired("root");
      expect(await s.error("task.continue", { id: "root" }, 409)).toBe("Task is not halted");
      await s.settle("root");
      expect(await s.error("task.halt", { id: "root" }, 409)).toBe("Task is fulfilled");
      expect(await s.error("task.halt", { id: "nope" }, 404)).toBe("Task not found");
      expect(await s.error("task.continue", { id: "nope" }, 404)).toBe("Task not found");
    });

    it("does not resume a halted task when an awaited promise settles, but remembers it", async () => {
      const s = subject();
      await s.acquired("root");
      await s.create("root.1");
      await s.ok("task.suspend", { id: "root", version: 1, actions: [callback("root.1", "root")] });
      await s.ok("task.halt", { id: "root" });
      s.takeMessages();
      await s.settle("root.1");
      expect(s.takeMessages()).toEqual([]);
      expect(await s.getTask("root")).toMatchObject({ state: "halted", resumes: ["root.1"] });
    });
  });

  describe("task.get", () => {
    it("answers 404 for an unknown task", async () => {
      expect(await subject().error("task.get", { id: "nope" }, 404)).toBe("Task not found");
    });

    it("reads the task of a promise past its timeout as fulfilled before any tick", async () => {
      const s = subject();
      await s.createTargeted("root", { timeoutAt: T0 + 100 });
      await s.ok("task.acquire", { id: "root", version: 0, pid: "w1", ttl: 60_000 });
      expect(await s.getTask("root", T0 + 100)).toEqual({ id: "root", state: "fulfilled", version: 1, resumes: [] });
      expect(await s.error("task.fulfill", { id: "root", version: 1, action: settleAction("root") }, 409, T0 + 100)).toBe(
        "Task not acquired",
      );
    });
  });
}
