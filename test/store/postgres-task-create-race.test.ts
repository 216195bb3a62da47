/**
 * Two servers on one PostgreSQL schema creating the same tasks at once (`task.create` of one id
 * from both). Under READ COMMITTED a transaction may read a promise as missing, then find the task
 * the other server committed with it meanwhile: it must start over and answer as the store says
 * (one 200 per id, the loser 409), never fail with "task has no promise".
 */
import { describe, expect, it } from "vitest";
import type { Request, Response } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import type { Backend, Tx } from "../../src/store/backend.js";
import { ProtocolStore } from "../../src/store/index.js";
import { openPostgresBackend } from "../../src/store/postgres/index.js";
import { PG_URL, postgresAvailable, twoServersPerTest } from "./postgres-support.js";

const available = await postgresAvailable();
const T0 = 1_700_000_000_000;
const ROUNDS = 40;
const PER_ROUND = 10;
const HEAD = { corrId: "race", version: "test" };

function create(id: string, pid: string): Request {
  return {
    kind: "task.create",
    head: HEAD,
    data: { pid, ttl: 60_000, action: { kind: "promise.create", head: HEAD, data: { id, timeoutAt: T0 + 60_000, param: {}, tags: { [TAG.target]: "poll://any@w" } } } },
  };
}

describe.skipIf(!available)("postgres: two servers racing task.create of the same ids", () => {
  const two = twoServersPerTest();

  it("gives each id one winner and the other creator its 409, with no 500", async () => {
    const ids = Array.from({ length: ROUNDS * PER_ROUND }, (_, n) => `t${String(n).padStart(4, "0")}`);
    const answers: (readonly [string, Response])[] = [];
    // Round by round, both servers send the same creates, each as its own request and in the same
    // order, so their transactions (batches of varying make-up) meet at every id.
    for (let round = 0; round < ROUNDS; round++) {
      const slice = ids.slice(round * PER_ROUND, (round + 1) * PER_ROUND);
      const race = two.servers.map((store, s) =>
        Promise.all(slice.map((id) => store.apply(create(id, `worker${s}`), T0).then((res) => [id, res] as const))),
      );
      answers.push(...(await Promise.all(race)).flat());
    }

    const byId = new Map<string, Response[]>();
    for (const [id, res] of answers) {
      expect([200, 409], `${id}: ${JSON.stringify(res.data)}`).toContain(res.head.status);
      byId.set(id, [...(byId.get(id) ?? []), res]);
    }
    for (const id of ids) {
      const statuses = byId.get(id)!.map((res) => res.head.status).sort();
      expect(statuses, id).toEqual([200, 409]);
    }
  });

  it("starts over when the task it finds was committed after it read the promise as missing", async () => {
    // Server A's first attempt stops between reading the promise (missing) and reading the task,
    // while server B creates both and commits: the interleaving READ COMMITTED allows.
    let paused = false;
    const pausing = (backend: Backend): Backend => ({
      ...backend,
      transaction: (work) =>
        backend.transaction((tx) => {
          const wrapped: Tx = Object.assign(Object.create(tx) as Tx, {
            getTasks: async (ids: readonly string[]) => {
              if (!paused && ids.includes("late")) {
                paused = true;
                const res = await two.servers[1]!.apply(create("late", "workerB"), T0);
                expect(res.head.status).toBe(200);
              }
              return tx.getTasks(ids);
            },
            getTask: async (id: string) => {
              if (!paused && id === "late") {
                paused = true;
                expect((await two.servers[1]!.apply(create("late", "workerB"), T0)).head.status).toBe(200);
              }
              return tx.getTask(id);
            },
          });
          return work(wrapped);
        }),
    });
    const a = new ProtocolStore(pausing(await openPostgresBackend(PG_URL, { schema: two.schema })));
    try {
      const res = await a.apply(create("late", "workerA"), T0);
      expect(paused).toBe(true);
      expect([res.head.status, res.data]).toEqual([409, "Task already exists"]);
    } finally {
      await a.close();
    }
  });
});
