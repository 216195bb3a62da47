/**
 * `Tx.promisesUnderEach`, the take-over's read of a page of histories: on every backend it gives
 * each id what `promisesUnder(id, limit)` gives (seeded random trees of ids, random limits), and the
 * row cache answers a later `promisesUnder` from it only while no write has landed in that range.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import type { Backend, Tx } from "../../src/store/backend.js";
import { withRowCache } from "../../src/store/kernel/row-cache.js";
import { MemoryBackend } from "../../src/store/memory/index.js";
import { openPostgresBackend } from "../../src/store/postgres/index.js";
import { openSqliteBackend } from "../../src/store/sqlite/index.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";
import { random } from "./reference-walk.js";
import { freshDatabasePerTest } from "./sqlite-support.js";

const pgAvailable = await postgresAvailable();
const freshPath = freshDatabasePerTest();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function promise(id: string): PromiseRecord {
  return { id, state: "pending", param: {}, value: {}, tags: {}, timeoutAt: 1_000_000, createdAt: 1 };
}

const BACKENDS: [string, () => Promise<Backend>][] = [
  ["memory", async () => new MemoryBackend()],
  [
    "sqlite",
    async () => {
      const backend = openSqliteBackend(freshPath());
      cleanups.push(() => backend.close());
      return backend;
    },
  ],
];
if (pgAvailable) {
  BACKENDS.push([
    "postgres",
    async () => {
      const schema = freshSchemaName();
      const backend = await openPostgresBackend(PG_URL, { schema, poolSize: 2 });
      cleanups.push(async () => {
        await backend.close();
        await dropSchema(schema);
      });
      return backend;
    },
  ]);
}

/** Ids that sort around a parent's range: siblings named like it, `/` (after `.`), other scripts. */
const NAMES = ["a", "b", "a-", "a/", "ab", "é", "日本", "x🎉", "0"];

/** A random tree of ids: roots from NAMES, children `${parent}.${n}` a few levels deep. */
function tree(rand: () => number): string[] {
  const ids = new Set<string>();
  const grow = (parent: string, depth: number) => {
    ids.add(parent);
    if (depth === 0) return;
    const children = Math.floor(rand() * (depth === 3 ? 14 : 4));
    for (let n = 0; n < children; n++) grow(`${parent}.${Math.floor(rand() * 20)}`, depth - 1);
  };
  for (const name of NAMES) if (rand() < 0.8) grow(name, 3);
  return [...ids];
}

describe.each(BACKENDS)("promisesUnderEach on %s", (_name, open) => {
  it("gives each id what promisesUnder gives it, in the order of the ids asked (seeded trees)", async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rand = random(seed);
      const backend = await open();
      const ids = tree(rand);
      await backend.transaction(async (tx) => {
        for (const id of ids) await tx.insertPromise(promise(id));
      });
      // Parents asked in a shuffled order, with one asked twice and one that has no promise.
      const asked = [...ids.filter(() => rand() < 0.5), ids[0]!, "none"].sort(() => rand() - 0.5);
      for (const limit of [1, 2, 8, 1000]) {
        await backend.transaction(async (tx) => {
          const each = await tx.promisesUnderEach(asked, limit);
          const one = await Promise.all(asked.map((id) => tx.promisesUnder(id, limit)));
          expect(each.map(idsOf), `seed ${seed}, limit ${limit}`).toEqual(one.map(idsOf));
          expect(each.flat().every((p) => p.state === "pending" && p.timeoutAt === 1_000_000)).toBe(true);
        });
      }
    }
  });

  it("answers nothing asked with nothing", async () => {
    const backend = await open();
    await backend.transaction(async (tx) => {
      await tx.insertPromise(promise("p.1"));
      expect(await tx.promisesUnderEach([], 8)).toEqual([]);
      expect(await tx.promisesUnderEach(["p"], 0)).toEqual([[]]);
    });
  });
});

describe("the row cache and promisesUnderEach", () => {
  async function cachedTx(run: (tx: Tx, base: Tx) => Promise<void>): Promise<void> {
    const backend = openSqliteBackend(freshPath());
    cleanups.push(() => backend.close());
    await backend.transaction(async (tx) => {
      for (const id of ["p", "p.1", "p.2", "p.2.1", "q", "q.1"]) await tx.insertPromise(promise(id));
    });
    await backend.transaction(async (base) => run(withRowCache(base), base));
  }

  it("answers a first read from what it read ahead, and a second from the store", async () => {
    await cachedTx(async (tx, base) => {
      await tx.promisesUnderEach(["p", "q"], 8);
      // Written behind the cache's back: a read answered from what was read ahead does not see it.
      await base.insertPromise(promise("p.3"));
      expect(idsOf(await tx.promisesUnder("p", 8))).toEqual(["p.1", "p.2", "p.2.1"]);
      expect(idsOf(await tx.promisesUnder("p", 8))).toEqual(["p.1", "p.2", "p.2.1", "p.3"]);
    });
  });

  it("reads from the store a longer range, or one after a cursor, than it read ahead", async () => {
    await cachedTx(async (tx, base) => {
      await tx.promisesUnderEach(["p"], 2);
      await base.insertPromise(promise("p.3"));
      expect(idsOf(await tx.promisesUnder("p", 3))).toEqual(["p.1", "p.2", "p.2.1"]);
      expect(idsOf(await tx.promisesUnder("p", 8, "p.2"))).toEqual(["p.2.1", "p.3"]);
      // A shorter one comes from what was read ahead, cut.
      expect(idsOf(await tx.promisesUnder("p", 1))).toEqual(["p.1"]);
    });
  });

  it("forgets what it read ahead of every range a write lands in, and only those", async () => {
    await cachedTx(async (tx) => {
      await tx.promisesUnderEach(["p", "p.2", "q"], 8);
      await tx.insertPromise(promise("p.2.2"));
      expect(idsOf(await tx.promisesUnder("p", 8))).toEqual(["p.1", "p.2", "p.2.1", "p.2.2"]);
      expect(idsOf(await tx.promisesUnder("p.2", 8))).toEqual(["p.2.1", "p.2.2"]);
      expect(idsOf(await tx.promisesUnder("q", 8))).toEqual(["q.1"]);
    });
    await cachedTx(async (tx) => {
      await tx.promisesUnderEach(["p", "q"], 8);
      await tx.updatePromise({ ...promise("q.1"), state: "resolved", settledAt: 2 });
      expect((await tx.promisesUnder("q", 8)).map((p) => p.state)).toEqual(["resolved"]);
      await tx.deletePromise("p.1");
      expect(idsOf(await tx.promisesUnder("p", 8))).toEqual(["p.2", "p.2.1"]);
    });
    await cachedTx(async (tx) => {
      await tx.promisesUnderEach(["p"], 8);
      expect(tx.syncRows!.insertNewPromise(promise("p.0"))).toBe(true);
      expect(idsOf(await tx.promisesUnder("p", 8))).toEqual(["p.0", "p.1", "p.2", "p.2.1"]);
    });
    await cachedTx(async (tx) => {
      await tx.promisesUnderEach(["p", "q"], 8);
      await tx.deleteWithPrefix("q", 10);
      expect(idsOf(await tx.promisesUnder("q", 8))).toEqual([]);
    });
  });
});

function idsOf(promises: readonly PromiseRecord[]): string[] {
  return promises.map((p) => p.id);
}
