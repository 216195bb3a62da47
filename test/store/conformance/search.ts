/** Searches: id patterns, state, tags, limits and cursors, for promises, tasks and schedules. */
import type { PromiseState } from "../../../src/protocol/records.js";
import { describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../../src/protocol/records.js";
import { MAX_PAGE_BYTES } from "../../../src/protocol/limits.js";
import { TARGETED, T0, type Subject } from "./harness.js";

/** A param of `bytes` characters (base64 text is one byte a character). */
const big = (bytes: number) => ({ data: "A".repeat(bytes) });

export function searchSpecs(subject: () => Subject): void {
  describe("promise.search", () => {
    it("matches ids against a * pattern", async () => {
      const s = subject();
      for (const id of ["order.1", "order.2", "order.10", "orders", "invoice.1", "x.order.1"]) await s.create(id);
      const ids = async (pattern: string) => (await s.ok("promise.search", { id: pattern })).promises.map((p) => p.id);
      expect(await ids("order.*")).toEqual(["order.1", "order.10", "order.2"]);
      expect(await ids("*.1")).toEqual(["invoice.1", "order.1", "x.order.1"]);
      expect(await ids("order*")).toEqual(["order.1", "order.10", "order.2", "orders"]);
      expect(await ids("*order*1*")).toEqual(["order.1", "order.10", "x.order.1"]);
      expect(await ids("orders")).toEqual(["orders"]);
      expect(await ids("*")).toHaveLength(6);
      expect(await ids("order?")).toEqual([]);
    });

    it("filters by state and by tags", async () => {
      const s = subject();
      await s.create("a", { tags: { team: "red", tier: "1" } });
      await s.create("b", { tags: { team: "red", tier: "2" } });
      await s.create("c", { tags: { team: "blue" } });
      await s.settle("b");
      const search = async (data: object) => (await s.ok("promise.search", data)).promises.map((p) => p.id);
      expect(await search({ state: "pending" })).toEqual(["a", "c"]);
      expect(await search({ state: "resolved" })).toEqual(["b"]);
      expect(await search({ tags: { team: "red" } })).toEqual(["a", "b"]);
      expect(await search({ tags: { team: "red", tier: "2" } })).toEqual(["b"]);
      expect(await search({ tags: { team: "green" } })).toEqual([]);
      expect(await search({ state: "pending", tags: { team: "red" } })).toEqual(["a"]);
    });

    it("finds promises in each failure state", async () => {
      const s = subject();
      await s.create("d");
      await s.create("e");
      await s.create("f", { timeoutAt: T0 + 10 });
      await s.create("g");
      await s.settle("d", "rejected");
      await s.settle("e", "rejected_canceled");
      await s.settle("g");
      const search = async (state: PromiseState) => (await s.ok("promise.search", { state }, T0 + 20)).promises.map((p) => p.id);
      expect(await search("rejected")).toEqual(["d"]);
      expect(await search("rejected_canceled")).toEqual(["e"]);
      expect(await search("rejected_timedout")).toEqual(["f"]);
      expect(await search("resolved")).toEqual(["g"]);
      expect(await search("pending")).toEqual([]);
    });

    it("ends a page early, with a cursor, once its values pass the byte budget", async () => {
      const s = subject();
      // Each record holds over a third of the budget: three of them pass it.
      const ids = ["big.1", "big.2", "big.3", "big.4", "big.5", "big.6", "big.7"];
      for (const id of ids) await s.create(id, { param: big(Math.ceil(MAX_PAGE_BYTES / 3) + 1) });
      await s.create("small.1");
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.ok("promise.search", cursor === undefined ? { id: "*", limit: 1000 } : { id: "*", limit: 1000, cursor });
        // At least one record a page, so paging moves on; at most the records that reach the budget.
        expect(page.promises.length).toBeGreaterThanOrEqual(1);
        expect(page.promises.length).toBeLessThanOrEqual(3);
        seen.push(...page.promises.map((p) => p.id));
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 20);
      expect(seen).toEqual([...ids, "small.1"]);
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it("reads promises past their timeout as timed out", async () => {
      const s = subject();
      await s.create("a", { timeoutAt: T0 + 10 });
      const { promises } = await s.ok("promise.search", { id: "a" }, T0 + 10);
      expect(promises[0]).toMatchObject({ state: "rejected_timedout" });
      expect((await s.ok("promise.search", { state: "pending" }, T0 + 10)).promises).toEqual([]);
    });

    it("pages through results with a cursor, each id once", async () => {
      const s = subject();
      const all = Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, "0")}`);
      for (const id of all) await s.create(id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page: { promises: PromiseRecord[]; cursor?: string } = await s.ok("promise.search", { limit: 10, cursor });
        seen.push(...page.promises.map((p) => p.id));
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual(all);
      expect((await s.ok("promise.search", {})).promises).toHaveLength(25);
      const exact = await s.ok("promise.search", { limit: 25 });
      expect(exact.cursor).toBeUndefined();
    });

    it("refuses a bad limit or cursor (400)", async () => {
      const s = subject();
      expect(await s.error("promise.search", { limit: 0 }, 400)).toMatch(/^data\.limit: /);
      expect(await s.error("promise.search", { limit: 1001 }, 400)).toMatch(/^data\.limit: /);
      expect(await s.error("promise.search", { cursor: "not a cursor!" }, 400)).toMatch(/^data\.cursor: /);
    });
  });

  describe("task.search", () => {
    it("filters by state and pages by id", async () => {
      const s = subject();
      for (const id of ["t1", "t2", "t3"]) await s.createTargeted(id);
      await s.ok("task.acquire", { id: "t2", version: 0, pid: "w", ttl: 60_000 });
      const pending = await s.ok("task.search", { state: "pending" });
      expect(pending.tasks.map((t) => t.id)).toEqual(["t1", "t3"]);
      const acquired = await s.ok("task.search", { state: "acquired" });
      expect(acquired.tasks).toEqual([await s.getTask("t2")]);
      const first = await s.ok("task.search", { limit: 2 });
      expect(first.tasks.map((t) => t.id)).toEqual(["t1", "t2"]);
      const second = await s.ok("task.search", { limit: 2, cursor: first.cursor });
      expect(second.tasks.map((t) => t.id)).toEqual(["t3"]);
      expect(second.cursor).toBeUndefined();
    });
  });

  describe("schedule.search", () => {
    it("filters by promise tags and pages by id", async () => {
      const s = subject();
      const create = (id: string, team: string) =>
        s.ok("schedule.create", {
          id,
          cron: "0 * * * *",
          promiseId: "{{.id}}.{{.timestamp}}",
          promiseTimeout: 1000,
          promiseParam: {},
          promiseTags: { ...TARGETED, team },
        });
      await create("s1", "red");
      await create("s2", "blue");
      await create("s3", "red");
      const red = await s.ok("schedule.search", { tags: { team: "red" } });
      expect(red.schedules.map((x) => x.id)).toEqual(["s1", "s3"]);
      const first = await s.ok("schedule.search", { limit: 1 });
      const second = await s.ok("schedule.search", { limit: 5, cursor: first.cursor });
      expect([...first.schedules, ...second.schedules].map((x) => x.id)).toEqual(["s1", "s2", "s3"]);
    });
  });
}
