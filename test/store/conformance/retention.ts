/**
 * Retention: what a purge deletes (a finished execution: its root and every promise under the
 * root's id, with their tasks) and what it keeps (running trees, a finished root with a detached
 * child still pending, executions within their retention, promises outside any root's scope).
 */
import { describe, expect, it } from "vitest";
import type { RequestOf } from "../../../src/protocol/requests.js";
import { TAG } from "../../../src/protocol/tags.js";
import { T0, TARGETED, type Subject } from "./harness.js";

const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY; // the store's default retention
const HEAD = { corrId: "inner", version: "test" };
const ROOT_TAGS = { ...TARGETED, [TAG.kind]: "root", [TAG.func]: "pipeline" };

function createAction(id: string, tags: Record<string, string> = {}, timeoutAt = T0 + DAY): RequestOf<"promise.create"> {
  return { kind: "promise.create", head: HEAD, data: { id, timeoutAt, param: {}, tags } };
}

/** A step's create that carries its result (recorded already settled). */
function recordedAction(id: string): RequestOf<"promise.create"> {
  const action = createAction(id, { [TAG.kind]: "step" });
  return { ...action, data: { ...action.data, result: { state: "resolved", value: {} } } };
}

function settleAction(id: string): RequestOf<"promise.settle"> {
  return { kind: "promise.settle", head: HEAD, data: { id, state: "resolved", value: { data: "ZG9uZQ==" } } };
}

/**
 * A workflow `id` as Reprise's SDK leaves it: a step recorded settled, a sleep, a child workflow
 * with its own task, a race record, a patch, a grandchild step, and a child as another SDK names
 * it (`id:1`); all settled, then the root fulfilled at `doneAt`.
 */
async function finishedExecution(s: Subject, id: string, doneAt = T0, rootTags: Record<string, string> = {}): Promise<string[]> {
  const create = (child: string, tags: Record<string, string> = {}) => createAction(child, tags, doneAt + DAY);
  const recorded = (child: string, tags: Record<string, string> = {}) => {
    const action = create(child, tags);
    return { ...action, data: { ...action.data, result: { state: "resolved" as const, value: {} } } };
  };
  await s.ok("task.create", { pid: "w1", ttl: DAY, action: create(id, { ...ROOT_TAGS, ...rootTags }) }, doneAt);
  const fence = (action: RequestOf<"promise.create"> | RequestOf<"promise.settle">, holder = id) => s.ok("task.fence", { id: holder, version: 1, action }, doneAt);
  await fence(recorded(`${id}.1`, { [TAG.kind]: "step" }));
  await fence(create(`${id}.2`, { [TAG.kind]: "sleep", [TAG.timer]: "true" }));
  await fence(settleAction(`${id}.2`));
  await fence(create(`${id}.3`, { ...TARGETED, [TAG.kind]: "rpc" }));
  await s.ok("task.acquire", { id: `${id}.3`, version: 0, pid: "w2", ttl: DAY }, doneAt);
  await fence(recorded(`${id}.3.1`, { [TAG.kind]: "step" }), `${id}.3`);
  await s.ok("task.fulfill", { id: `${id}.3`, version: 1, action: settleAction(`${id}.3`) }, doneAt);
  await fence(recorded(`${id}.4`, { [TAG.kind]: "race" }));
  await fence(recorded(`${id}.patch.v2`, { [TAG.kind]: "patch" }));
  await s.ok("promise.create", create(`${id}:1`).data, doneAt);
  await s.settle(`${id}:1`, "resolved", doneAt);
  await s.ok("task.fulfill", { id, version: 1, action: settleAction(id) }, doneAt);
  return [id, `${id}.1`, `${id}.2`, `${id}.3`, `${id}.3.1`, `${id}.4`, `${id}.patch.v2`, `${id}:1`];
}

async function exists(s: Subject, id: string, now: number): Promise<boolean> {
  return (await s.send("promise.get", { id }, now)).head.status === 200;
}

async function existing(s: Subject, ids: readonly string[], now: number): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) if (await exists(s, id, now)) found.push(id);
  return found;
}

function purge(s: Subject, now: number, olderThanMs?: number) {
  return s.store.purge!(olderThanMs === undefined ? { now } : { now, olderThanMs });
}

export function retentionSpecs(subject: () => Subject): void {
  describe("retention", () => {
    it("deletes a finished execution once its retention has passed: the root, everything under it, and their tasks", async () => {
      const s = subject();
      const ids = await finishedExecution(s, "order-1");
      // Near misses of the scope, and a promise of no execution: not retention's business.
      await s.create("order-10", {}, T0);
      await s.create("order-1x", {}, T0);
      await s.create("approval-7", {}, T0);
      await s.settle("approval-7", "resolved", T0);

      expect(await purge(s, T0 + WEEK - 1)).toEqual({ executions: 0, promises: 0, kept: 0, more: false });
      expect(await existing(s, ids, T0 + WEEK - 1)).toEqual(ids);

      expect(await purge(s, T0 + WEEK)).toEqual({ executions: 1, promises: ids.length, kept: 0, more: false });
      expect(await existing(s, ids, T0 + WEEK)).toEqual([]);
      for (const id of ["order-1", "order-1.3"]) expect((await s.send("task.get", { id }, T0 + WEEK)).head.status).toBe(404);
      expect(await existing(s, ["order-10", "order-1x", "approval-7"], T0 + WEEK)).toEqual(["order-10", "order-1x", "approval-7"]);
      // Idempotent: a second pass finds nothing.
      expect(await purge(s, T0 + WEEK + 1)).toMatchObject({ executions: 0, promises: 0 });
    });

    it("knows when a finished execution will go, and nothing of one that runs", async () => {
      const s = subject();
      await s.ok("task.create", { pid: "w1", ttl: DAY, action: createAction("running", ROOT_TAGS) });
      expect(await s.store.finishedRoot!("running")).toBeUndefined();
      await finishedExecution(s, "done", T0 + 5);
      expect(await s.store.finishedRoot!("done")).toEqual({ id: "done", settledAt: T0 + 5, purgeAt: T0 + 5 + WEEK });
      expect(await s.store.finishedRoot!("done.1")).toBeUndefined();
    });

    it("keeps running executions, however old, and executions still within their retention", async () => {
      const s = subject();
      await s.ok("task.create", { pid: "w1", ttl: 30 * DAY, action: createAction("running", ROOT_TAGS, T0 + 30 * DAY) });
      await s.ok("task.fence", { id: "running", version: 1, action: recordedAction("running.1") });
      const old = await finishedExecution(s, "old", T0);
      const recent = await finishedExecution(s, "recent", T0 + 2 * DAY);

      const report = await purge(s, T0 + WEEK + DAY);
      expect(report).toMatchObject({ executions: 1, promises: old.length, kept: 0 });
      expect(await existing(s, old, T0 + WEEK + DAY)).toEqual([]);
      expect(await existing(s, recent, T0 + WEEK + DAY)).toEqual(recent);
      expect(await existing(s, ["running", "running.1"], T0 + WEEK + DAY)).toEqual(["running", "running.1"]);
      // By hand, whatever the age: a running execution is never taken.
      await purge(s, T0 + 8 * DAY, 0);
      expect(await existing(s, ["running", "running.1"], T0 + 8 * DAY)).toEqual(["running", "running.1"]);
      expect(await existing(s, recent, T0 + 8 * DAY)).toEqual([]);
    });

    it("keeps a finished execution whose detached child still runs, and deletes it once the child is done", async () => {
      const s = subject();
      await s.ok("task.create", { pid: "w1", ttl: DAY, action: createAction("parent", ROOT_TAGS) });
      // A child workflow started and not awaited: it runs on another worker after its parent ends.
      await s.ok("task.fence", { id: "parent", version: 1, action: createAction("parent.1", { ...TARGETED, [TAG.kind]: "rpc" }, T0 + 30 * DAY) });
      await s.ok("task.acquire", { id: "parent.1", version: 0, pid: "w2", ttl: 30 * DAY });
      await s.ok("task.fence", { id: "parent.1", version: 1, action: recordedAction("parent.1.1") });
      await s.ok("task.fulfill", { id: "parent", version: 1, action: settleAction("parent") });
      const tree = ["parent", "parent.1", "parent.1.1"];

      expect(await purge(s, T0 + WEEK)).toEqual({ executions: 0, promises: 0, kept: 1, more: false });
      expect(await existing(s, tree, T0 + WEEK)).toEqual(tree);
      expect(await purge(s, T0 + WEEK, 0)).toMatchObject({ executions: 0, kept: 1 });
      // The child's settled step is its own to replay from: it must still be there, and the child can finish.
      await s.ok("task.fulfill", { id: "parent.1", version: 1, action: settleAction("parent.1") }, T0 + WEEK + 2);

      // Looked at again an hour later (the delay grows with the retention, at most an hour).
      expect(await purge(s, T0 + WEEK + HOUR - 1)).toMatchObject({ executions: 0, kept: 0 });
      expect(await purge(s, T0 + WEEK + HOUR)).toMatchObject({ executions: 1, promises: 3, kept: 0 });
      expect(await existing(s, tree, T0 + WEEK + HOUR)).toEqual([]);
    });

    it("takes a root's reprise:retention tag over the store's default; 0 keeps it until purged by hand", async () => {
      const s = subject();
      const short = await finishedExecution(s, "short", T0, { [TAG.retention]: String(10 * SECOND) });
      const forever = await finishedExecution(s, "forever", T0, { [TAG.retention]: "0" });
      const usual = await finishedExecution(s, "usual", T0);
      expect(await s.store.finishedRoot!("forever")).toEqual({ id: "forever", settledAt: T0 });

      expect(await purge(s, T0 + 10 * SECOND)).toMatchObject({ executions: 1, promises: short.length });
      expect(await existing(s, short, T0 + 10 * SECOND)).toEqual([]);
      await purge(s, T0 + 365 * DAY);
      expect(await existing(s, usual, T0 + 365 * DAY)).toEqual([]);
      expect(await existing(s, forever, T0 + 365 * DAY)).toEqual(forever);

      expect(await purge(s, T0 + 365 * DAY, 366 * DAY)).toMatchObject({ executions: 0 });
      expect(await purge(s, T0 + 365 * DAY, 365 * DAY)).toMatchObject({ executions: 1, promises: forever.length });
      expect(await existing(s, forever, T0 + 365 * DAY)).toEqual([]);
    });

    it("refuses a reprise:retention tag that is not a whole number of ms, naming it (400)", async () => {
      const s = subject();
      const message = await s.error("promise.create", createAction("bad", { ...ROOT_TAGS, [TAG.retention]: "7d" }).data, 400);
      expect(message).toContain('tags["reprise:retention"]');
      expect(message).toContain('"7d"');
      expect(await exists(s, "bad", T0)).toBe(false);
    });

    it("keeps a root that timed out from the moment it timed out", async () => {
      const s = subject();
      await s.ok("promise.create", createAction("late", ROOT_TAGS, T0 + SECOND).data);
      await s.store.tick(T0 + 2 * SECOND);
      expect(await s.store.finishedRoot!("late")).toEqual({ id: "late", settledAt: T0 + SECOND, purgeAt: T0 + SECOND + WEEK });
    });

    it("starts afresh when a purged id is used again", async () => {
      const s = subject();
      await finishedExecution(s, "again", T0);
      await purge(s, T0 + WEEK);
      const { task, promise, preload } = await s.ok("task.create", { pid: "w1", ttl: DAY, action: createAction("again", ROOT_TAGS, T0 + WEEK + DAY) }, T0 + WEEK);
      expect(promise).toMatchObject({ state: "pending", createdAt: T0 + WEEK });
      expect(task).toMatchObject({ state: "acquired", version: 1 });
      expect(preload).toEqual([]);
    });

    it("deletes a large execution over several short transactions, its root last", async () => {
      const s = subject();
      await s.ok("task.create", { pid: "w1", ttl: DAY, action: createAction("big", ROOT_TAGS) });
      const steps = Array.from({ length: 1200 }, (_, n) => `big.${n + 1}`);
      const fences = steps.map((id) => ({
        kind: "task.fence" as const,
        head: HEAD,
        data: { id: "big", version: 1, action: recordedAction(id) },
      }));
      for (let i = 0; i < fences.length; i += 400) await s.store.applyBatch(fences.slice(i, i + 400), T0);
      await s.ok("task.fulfill", { id: "big", version: 1, action: settleAction("big") });

      const report = await purge(s, T0 + WEEK);
      expect(report).toEqual({ executions: 1, promises: 1201, kept: 0, more: false });
      expect(await existing(s, ["big", "big.1", "big.600", "big.1200"], T0 + WEEK)).toEqual([]);
    });
  });
}
