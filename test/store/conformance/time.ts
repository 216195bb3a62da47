/** What the passing of time does: lease expiry, re-delivery, schedules, nextDeadline. */
import { describe, expect, it } from "vitest";
import { TAG } from "../../../src/protocol/tags.js";
import { executeMessage, T0, TARGET, TARGETED, type Subject } from "./harness.js";

const REDELIVER_AFTER_MS = 30_000; // the ProtocolStore default
const MINUTE = 60_000;

export function timeSpecs(subject: () => Subject): void {
  describe("tick: leases", () => {
    it("re-delivers a task whose lease ran out, and refuses the old holder", async () => {
      const s = subject();
      await s.acquired("root", "w1", 5000);
      s.takeMessages();
      expect(await s.store.tick(T0 + 4999)).toBe(0);
      expect(await s.store.tick(T0 + 5000)).toBe(1);
      expect(s.takeMessages()).toEqual([executeMessage("root", 1)]);
      expect(await s.getTask("root", T0 + 5000)).toEqual({
        id: "root",
        state: "pending",
        version: 1,
        resumes: [],
        expiresAt: T0 + 5000 + REDELIVER_AFTER_MS,
      });
      const fulfill = { kind: "promise.settle", head: { corrId: "c", version: "v" }, data: { id: "root", state: "resolved", value: {} } } as const;
      expect(await s.error("task.fulfill", { id: "root", version: 1, action: fulfill }, 409, T0 + 5001)).toBe("Task not acquired");
      await s.ok("task.acquire", { id: "root", version: 1, pid: "w2", ttl: 5000 }, T0 + 5002);
      expect(await s.error("task.fulfill", { id: "root", version: 1, action: fulfill }, 409, T0 + 5003)).toBe("Version mismatch");
      expect(await s.error("task.fence", { id: "root", version: 1, action: fulfill }, 409, T0 + 5003)).toBe("Fence check failed");
      await s.ok("task.fulfill", { id: "root", version: 2, action: fulfill }, T0 + 5004);
    });

    it("keeps a lease that is heartbeaten", async () => {
      const s = subject();
      await s.acquired("root", "w1", 5000);
      await s.ok("task.heartbeat", { pid: "w1", tasks: [{ id: "root", version: 1 }] }, T0 + 4000);
      expect(await s.store.tick(T0 + 8999)).toBe(0);
      expect((await s.getTask("root", T0 + 8999)).state).toBe("acquired");
      expect(await s.store.tick(T0 + 9000)).toBe(1);
      expect((await s.getTask("root", T0 + 9000)).state).toBe("pending");
    });

    it("sends a pending task again when nobody acquired it in time", async () => {
      const s = subject();
      await s.createTargeted("root", { timeoutAt: T0 + 10 * MINUTE });
      expect(s.takeMessages()).toEqual([executeMessage("root", 0)]);
      expect(await s.store.tick(T0 + REDELIVER_AFTER_MS - 1)).toBe(0);
      expect(s.takeMessages()).toEqual([]);
      expect(await s.store.tick(T0 + REDELIVER_AFTER_MS)).toBe(1);
      expect(s.takeMessages()).toEqual([executeMessage("root", 0)]);
      expect(await s.store.tick(T0 + REDELIVER_AFTER_MS + 1)).toBe(0);
      expect((await s.getTask("root")).expiresAt).toBe(T0 + 2 * REDELIVER_AFTER_MS);
    });
  });

  describe("schedules", () => {
    const schedule = (fields: Record<string, unknown> = {}) => ({
      id: "nightly",
      cron: "*/5 * * * *",
      promiseId: "{{.id}}-{{.timestamp}}",
      promiseTimeout: MINUTE,
      promiseParam: { data: "cGFyYW0=" },
      promiseTags: { ...TARGETED },
      ...fields,
    });
    // The first multiple of five minutes strictly after T0 (crons run in UTC, on whole minutes).
    const firstRun = Math.ceil((T0 + 1) / (5 * MINUTE)) * 5 * MINUTE;

    it("creates a schedule with its next run, idempotently, and gets and deletes it", async () => {
      const s = subject();
      const { schedule: created } = await s.ok("schedule.create", schedule());
      expect(created).toEqual({ ...schedule(), createdAt: T0, nextRunAt: firstRun });
      expect((await s.ok("schedule.create", schedule({ cron: "0 0 * * *" }), T0 + 5)).schedule).toEqual(created);
      expect((await s.ok("schedule.get", { id: "nightly" })).schedule).toEqual(created);
      await s.ok("schedule.delete", { id: "nightly" });
      expect(await s.error("schedule.get", { id: "nightly" }, 404)).toBe("Schedule not found");
      expect(await s.error("schedule.delete", { id: "nightly" }, 404)).toBe("Schedule not found");
    });

    it("refuses a bad cron and promise tags without a target (400)", async () => {
      const s = subject();
      expect(await s.error("schedule.create", schedule({ cron: "every day" }), 400)).toBe("Invalid cron expression");
      expect(await s.error("schedule.create", schedule({ promiseTags: { a: "b" } }), 400)).toBe(
        "promiseTags must include a resonate:target tag",
      );
      expect(await s.error("schedule.get", { id: "nightly" }, 404)).toBe("Schedule not found");
    });

    it("fires at its next run: creates the promise with the expanded id, sends its task, advances", async () => {
      const s = subject();
      await s.ok("schedule.create", schedule());
      expect(await s.store.nextDeadline()).toBe(firstRun);
      expect(await s.store.tick(firstRun - 1)).toBe(0);
      expect(await s.store.tick(firstRun + 10)).toBe(1);
      const id = `nightly-${firstRun}`;
      expect(await s.getPromise(id, firstRun + 10)).toEqual({
        id,
        state: "pending",
        param: { data: "cGFyYW0=" },
        value: {},
        tags: { ...TARGETED, [TAG.schedule]: "nightly" },
        timeoutAt: firstRun + MINUTE,
        createdAt: firstRun + 10,
      });
      expect(s.takeMessages()).toEqual([executeMessage(id, 0, TARGET)]);
      const { schedule: advanced } = await s.ok("schedule.get", { id: "nightly" });
      expect(advanced).toMatchObject({ lastRunAt: firstRun, nextRunAt: firstRun + 5 * MINUTE });
    });
  });

  describe("nextDeadline", () => {
    it("is the earliest pending timeout, task expiry or schedule run", async () => {
      const s = subject();
      expect(await s.store.nextDeadline()).toBeUndefined();
      await s.create("p", { timeoutAt: T0 + 50_000 });
      expect(await s.store.nextDeadline()).toBe(T0 + 50_000);
      await s.createTargeted("root", { timeoutAt: T0 + 90_000 });
      expect(await s.store.nextDeadline()).toBe(T0 + REDELIVER_AFTER_MS);
      await s.ok("task.acquire", { id: "root", version: 0, pid: "w1", ttl: 1000 });
      expect(await s.store.nextDeadline()).toBe(T0 + 1000);
      await s.settle("root");
      await s.settle("p");
      expect(await s.store.nextDeadline()).toBeUndefined();
    });
  });
}
