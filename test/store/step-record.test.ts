/**
 * SQLite decides a fenced step record at once (kernel/step-record.ts) and everything else through
 * the general transitions; the memory backend decides everything the general way. Seeded random
 * sequences of what workers send around step records (tasks created and acquired, steps recorded
 * with their results, stale versions, releases that start a backoff, deadlines that pass, records
 * that already exist, idempotency keys, records that would start or finish an execution) go to
 * both stores: every answer, every message and, at the end, every row must be the same. About
 * half of the step records go by the embedded SDK's lane (`Store.recordStep`, no request around
 * them), each store choosing it alike: its answers must be those of the request it stands for.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/protocol/messages.js";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";
import { PROTOCOL_VERSION, type Request, type Response } from "../../src/protocol/requests.js";
import { isFenceResponse } from "../../src/protocol/step-record.js";
import { TAG } from "../../src/protocol/tags.js";
import { openSqliteBackend, ProtocolStore, MemoryBackend, type Store } from "../../src/store/index.js";
import { learnVersions, random } from "./reference-walk.js";
import { freshDatabasePerTest } from "./sqlite-support.js";

const T0 = 1_700_000_000_000;
const WALKS = 12;
const STEPS = 250;
const ROOTS = ["r1", "r2", "r3", "r4", "r5"];
/** Steps per root at most: a worker records its steps in order, `r1.1`, `r1.2`, … */
const MAX_STEPS = 40;
const CHILDREN = ROOTS.flatMap((root) => Array.from({ length: MAX_STEPS }, (_, n) => `${root}.${n + 1}`));
const PIDS = ["p1", "p2"];

const freshPath = freshDatabasePerTest();

function* walk(seed: number, versions: Map<string, number>): Generator<{ now: number; req?: Request }> {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const int = (low: number, high: number) => low + Math.floor(rand() * (high - low + 1));
  let now = T0;
  let corr = 0;
  const head = () => ({ corrId: `c${++corr}`, version: "walk" });
  const versionOf = (id: string) => (rand() < 0.85 ? (versions.get(id) ?? 1) : int(0, 4));
  const rootOf = (child: string) => child.slice(0, child.indexOf("."));
  // The next step of each root, as its worker would number it; sometimes an earlier one (a replay).
  const next = new Map<string, number>();
  const nextStep = (root: string): string => {
    const n = next.get(root) ?? 1;
    if (rand() < 0.2) return `${root}.${int(1, n)}`;
    next.set(root, Math.min(n + 1, MAX_STEPS));
    return `${root}.${n}`;
  };
  const stepRecord = (child: string): Request => {
    const tags: Record<string, string> = { [TAG.kind]: "step", [TAG.func]: "f", [TAG.parent]: rootOf(child) };
    if (rand() < 0.08) tags[TAG.target] = "poll://any@workers";
    if (rand() < 0.08) tags[TAG.kind] = "root";
    return {
      kind: "task.fence",
      head: head(),
      data: {
        id: rootOf(child),
        version: versionOf(rootOf(child)),
        action: {
          kind: "promise.create",
          head: head(),
          data: {
            id: child,
            // Mostly far; sometimes already past, so the record is born timed out.
            timeoutAt: rand() < 0.1 ? now - int(0, 5_000) : now + int(60_000, 600_000),
            param: { data: `args of ${child}` },
            tags,
            result: { state: pick(["resolved", "rejected"] as const), value: { data: `value ${int(0, 9)}` }, startedAt: now - int(0, 50) },
            ...(rand() < 0.1 ? { idempotencyKey: pick(["k1", "k2"]) } : {}),
          },
        },
      },
    };
  };
  const makers: (() => Request)[] = [
    () => {
      const id = pick(ROOTS);
      return {
        kind: "task.create",
        head: head(),
        data: {
          pid: pick(PIDS),
          ttl: int(1_000, 60_000),
          action: { kind: "promise.create", head: head(), data: { id, timeoutAt: now + (rand() < 0.3 ? int(2_000, 30_000) : int(100_000, 900_000)), param: {}, tags: { [TAG.target]: "poll://any@workers", [TAG.kind]: "root" } } },
        },
      };
    },
    ...Array.from({ length: 8 }, () => () => stepRecord(nextStep(pick(ROOTS)))),
    () => ({ kind: "task.acquire", head: head(), data: { id: pick(ROOTS), version: versionOf(pick(ROOTS)), pid: pick(PIDS), ttl: int(1_000, 60_000) } }),
    () => ({ kind: "task.release", head: head(), data: { id: pick(ROOTS), version: versionOf(pick(ROOTS)) } }),
    () => {
      const id = pick(ROOTS);
      return { kind: "task.fulfill", head: head(), data: { id, version: versionOf(id), action: { kind: "promise.settle", head: head(), data: { id, state: "resolved", value: {} } } } };
    },
    () => ({ kind: "promise.create", head: head(), data: { id: nextStep(pick(ROOTS)), timeoutAt: now + int(1_000, 60_000), param: {}, tags: {} } }),
    () => ({ kind: "promise.settle", head: head(), data: { id: rand() < 0.3 ? pick(ROOTS) : pick(CHILDREN), state: "resolved", value: {} } }),
  ];
  for (let i = 0; i < STEPS; i++) {
    now += int(0, 1_000);
    yield rand() < 0.05 ? { now } : { now, req: pick(makers)() };
  }
}

/**
 * `req` applied, or (`asStep`, a fenced create with a result) recorded by `recordStep`, with its
 * answer as the `task.fence` response it stands for.
 */
async function applyOrRecord(store: Store, req: Request, now: number, asStep: boolean): Promise<Pick<Response, "head" | "data">> {
  if (!asStep || req.kind !== "task.fence" || req.data.action.kind !== "promise.create" || req.data.action.data.result === undefined) return store.apply(req, now);
  const step = { taskId: req.data.id, version: req.data.version, create: req.data.action.data, checkedUnder: DEFAULT_LIMITS.maxValueBytes };
  const answer = await store.recordStep!(step, now);
  if (isFenceResponse(answer)) return answer;
  // Dressed as the general way answers the request it stands for (stepFenceRequest).
  const head = { corrId: "action", status: 200 as const, version: PROTOCOL_VERSION };
  return { head: { corrId: req.head.corrId, status: 200 as const, version: req.head.version }, data: { action: { kind: "promise.create", head, data: { promise: answer } }, preload: [] } };
}

async function sameEverywhere(stores: Store[], req: Request, now: number, where: string, asStep = false): Promise<unknown> {
  const [reference, ...others] = await Promise.all(stores.map((store) => applyOrRecord(store, req, now, asStep)));
  for (const got of others) expect({ status: got!.head.status, data: got!.data }, where).toEqual({ status: reference!.head.status, data: reference!.data });
  return reference!.data;
}

/** The reference (memory) and SQLite stores, each with the messages it sent. */
function memoryAndSqlite(): { stores: ProtocolStore[]; messages: Envelope[][] } {
  const stores = [new ProtocolStore(new MemoryBackend()), new ProtocolStore(openSqliteBackend(freshPath(), { durability: "process-crash" }))];
  const messages: Envelope[][] = [[], []];
  stores.forEach((store, n) => store.onMessage((envelope) => messages[n]!.push(envelope)));
  return { stores, messages };
}

describe("a step record decided at once (SQLite) answers as the general transition (memory)", () => {
  for (let seed = 1; seed <= WALKS; seed++) {
    it(`walk ${seed}`, async () => {
      const { stores, messages } = memoryAndSqlite();
      const versions = new Map<string, number>();
      try {
        let i = 0;
        for (const step of walk(seed, versions)) {
          const where = `seed ${seed}, step ${++i}: ${JSON.stringify(step)}`;
          if (step.req === undefined) {
            await Promise.all(stores.map((store) => store.tick(step.now)));
          } else {
            learnVersions(versions, [await sameEverywhere(stores, step.req, step.now, where, (seed + i) % 2 === 0)]);
          }
          expect(messages[1], where).toEqual(messages[0]);
          learnVersions(versions, messages[0]!);
          messages.forEach((list) => list.splice(0));
        }
        const end = T0 + 10 ** 9;
        const head = { corrId: "end", version: "walk" };
        for (const id of [...ROOTS, ...CHILDREN]) await sameEverywhere(stores, { kind: "promise.get", head, data: { id } }, end, `seed ${seed}, at the end: ${id}`);
        for (const id of [...ROOTS, ...CHILDREN]) {
          await sameEverywhere(stores, { kind: "task.get", head, data: { id } }, end, `seed ${seed}, at the end: task ${id}`);
          const [expected, got] = await Promise.all(stores.map((store) => store.finishedRoot(id)));
          expect(got, `seed ${seed}, at the end: finished root ${id}`).toEqual(expected);
        }
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });
  }
});

describe("step records decided at once in batches (SQLite) answer as the general transitions (memory)", () => {
  // Requests applied together share a transaction and its reads ahead: a record of an id another
  // item of the batch creates or records must find it taken.
  for (let seed = 101; seed <= 100 + WALKS; seed++) {
    it(`walk ${seed}`, async () => {
      const { stores, messages } = memoryAndSqlite();
      const versions = new Map<string, number>();
      const rand = random(seed * 7);
      try {
        let group: { now: number; req: Request; asStep: boolean }[] = [];
        const flush = async () => {
          if (group.length === 0) return;
          const where = `seed ${seed}, batch ${JSON.stringify(group)}`;
          const answers = await Promise.all(stores.map((store) => Promise.all(group.map((item) => applyOrRecord(store, item.req, item.now, item.asStep)))));
          const summary = (list: Pick<Response, "head" | "data">[]) => list.map((got) => ({ status: got.head.status, data: got.data }));
          expect(summary(answers[1]!), where).toEqual(summary(answers[0]!));
          learnVersions(versions, answers[0]!.map((got) => got.data));
          expect(messages[1], where).toEqual(messages[0]);
          learnVersions(versions, messages[0]!);
          messages.forEach((list) => list.splice(0));
          group = [];
        };
        for (const step of walk(seed, versions)) {
          if (step.req === undefined) {
            await flush();
            await Promise.all(stores.map((store) => store.tick(step.now)));
            continue;
          }
          group.push({ now: step.now, req: step.req, asStep: rand() < 0.5 });
          if (rand() < 0.25) await flush();
        }
        await flush();
        const end = T0 + 10 ** 9;
        const head = { corrId: "end", version: "walk" };
        for (const id of [...ROOTS, ...CHILDREN]) await sameEverywhere(stores, { kind: "promise.get", head, data: { id } }, end, `seed ${seed}, at the end: ${id}`);
        for (const id of ROOTS) await sameEverywhere(stores, { kind: "task.get", head, data: { id } }, end, `seed ${seed}, at the end: task ${id}`);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });
  }
});


describe("a step record checked under a looser limit than the store's", () => {
  it("is validated as the request it stands for, and refused with the field named", async () => {
    const store = new ProtocolStore(new MemoryBackend(), { limits: { maxValueBytes: 16 } });
    try {
      const create = { id: "r1.1", timeoutAt: T0 + 60_000, param: {}, tags: {}, result: { state: "resolved" as const, value: { data: "x".repeat(64) } } };
      const answer = await store.recordStep({ taskId: "r1", version: 1, create, checkedUnder: DEFAULT_LIMITS.maxValueBytes }, T0);
      expect(isFenceResponse(answer) && answer.head.status).toBe(400);
      expect(isFenceResponse(answer) && String(answer.data)).toContain("value");
      const head = { corrId: "get", version: "walk" };
      expect((await store.apply({ kind: "promise.get", head, data: { id: "r1.1" } }, T0)).head.status).toBe(404);
    } finally {
      await store.close();
    }
  });
});
