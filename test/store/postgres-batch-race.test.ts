/**
 * Two servers on one PostgreSQL schema applying batches that name the same ids at once: batches
 * lock their rows in id order (no deadlock), a batch that loses an insert race is retried whole
 * (no 500), and each id has exactly one winner.
 */
import { describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import type { Request, Response } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { postgresAvailable, twoServersPerTest } from "./postgres-support.js";

const available = await postgresAvailable();
const T0 = 1_700_000_000_000;
const TASKS = 40;
const STEPS = 5;
const HEAD = { corrId: "race", version: "test" };

function fence(task: string, step: number, server: string): Request {
  return {
    kind: "task.fence",
    head: HEAD,
    data: {
      id: task,
      version: 1,
      action: {
        kind: "promise.create",
        head: HEAD,
        data: { id: `${task}.${step}`, timeoutAt: T0 + 60_000, param: {}, tags: {}, result: { state: "resolved", value: { data: server } } },
      },
    },
  };
}

function keyedCreate(id: string, server: string): Request {
  return { kind: "promise.create", head: HEAD, data: { id, timeoutAt: T0 + 60_000, param: {}, tags: {}, idempotencyKey: server } };
}

function promiseOf(res: Response): PromiseRecord {
  expect(res.head.status, JSON.stringify(res.data)).toBe(200);
  return (res.data as { promise: PromiseRecord }).promise;
}

describe.skipIf(!available)("postgres: two servers racing batches over the same ids", () => {
  const two = twoServersPerTest();

  it("records each fenced step and each keyed create once, with no 500", async () => {
    const tasks = Array.from({ length: TASKS }, (_, n) => `wf${String(n).padStart(2, "0")}`);
    const created = await two.servers[0]!.applyBatch(
      tasks.map((id) => ({
        kind: "task.create",
        head: HEAD,
        data: { pid: "worker", ttl: 60_000, action: { kind: "promise.create", head: HEAD, data: { id, timeoutAt: T0 + 60_000, param: {}, tags: { [TAG.target]: "poll://any@w" } } } },
      })),
      T0,
    );
    expect(new Set(created.map((res) => res.head.status))).toEqual(new Set([200]));

    // Each server sends every step of every task (in its own order, so their batches overlap in
    // different orders), and a keyed create of shared ids, many requests per transaction.
    const race = two.servers.map((store, s) => {
      const name = `server${s}`;
      const requests: Request[] = [];
      for (let step = 0; step < STEPS; step++) {
        const order = s === 0 ? tasks : [...tasks].reverse();
        for (const task of order) requests.push(fence(task, step, name), keyedCreate(`shared-${task}-${step}`, name));
      }
      return Promise.all([
        store.applyBatch(requests.slice(0, requests.length / 2), T0),
        ...requests.slice(requests.length / 2).map((req) => store.apply(req, T0)),
      ]).then(([batch, ...singles]) => [...batch, ...singles] as Response[]);
    });
    const [first, second] = await Promise.all(race);

    for (const responses of [first!, second!]) {
      for (const res of responses) expect([200, 409], JSON.stringify(res.data)).toContain(res.head.status);
    }
    const all = [...first!, ...second!];
    const stepAnswers = all.filter((res) => res.kind === "task.fence");
    expect(stepAnswers).toHaveLength(2 * TASKS * STEPS);
    // Both callers of a step are told the same stored promise: the first writer's.
    const byId = new Map<string, string>();
    for (const res of stepAnswers) {
      const promise = promiseOf((res.data as { action: Response }).action);
      const seen = byId.get(promise.id);
      if (seen !== undefined) expect(promise.value.data, promise.id).toBe(seen);
      byId.set(promise.id, promise.value.data!);
    }
    expect(byId.size).toBe(TASKS * STEPS);

    const creates = all.filter((res) => res.kind === "promise.create");
    const winners = creates.filter((res) => res.head.status === 200).map((res) => promiseOf(res).id);
    expect(winners.sort()).toEqual(tasks.flatMap((task) => Array.from({ length: STEPS }, (_, step) => `shared-${task}-${step}`)).sort());
  });
  it("loses no wake-up when one server suspends tasks on promises the other settles", async () => {
    const ids = Array.from({ length: TASKS }, (_, n) => String(n).padStart(2, "0"));
    const setup: Request[] = ids.flatMap((n) => [
      { kind: "task.create", head: HEAD, data: { pid: "worker", ttl: 60_000, action: { kind: "promise.create", head: HEAD, data: { id: `w${n}`, timeoutAt: T0 + 60_000, param: {}, tags: { [TAG.target]: "poll://any@w" } } } } },
      { kind: "promise.create", head: HEAD, data: { id: `p${n}`, timeoutAt: T0 + 60_000, param: {}, tags: { [TAG.scope]: "global" } } },
    ] as Request[]);
    expect(new Set((await two.servers[0]!.applyBatch(setup, T0)).map((res) => res.head.status))).toEqual(new Set([200]));

    const [suspends, settles] = await Promise.all([
      two.servers[0]!.applyBatch(
        ids.map((n) => ({ kind: "task.suspend", head: HEAD, data: { id: `w${n}`, version: 1, actions: [{ kind: "promise.register_callback", head: HEAD, data: { awaited: `p${n}`, awaiter: `w${n}` } }] } })),
        T0,
      ),
      two.servers[1]!.applyBatch(
        [...ids].reverse().map((n) => ({ kind: "promise.settle", head: HEAD, data: { id: `p${n}`, state: "resolved", value: {} } })),
        T0,
      ),
    ]);
    expect(new Set(settles.map((res) => res.head.status))).toEqual(new Set([200]));
    const tasks = await two.servers[0]!.applyBatch(ids.map((n) => ({ kind: "task.get", head: HEAD, data: { id: `w${n}` } })), T0);
    ids.forEach((n, i) => {
      const task = (tasks[i]!.data as { task: { state: string; resumes: string[] } }).task;
      // Suspended before the settle: resumed by it. After: told at once (300), still held.
      if (suspends[i]!.head.status === 200) expect(task, `w${n}`).toMatchObject({ state: "pending", resumes: [`p${n}`] });
      else expect([suspends[i]!.head.status, task.state], `w${n}`).toEqual([300, "acquired"]);
    });
  });
});
