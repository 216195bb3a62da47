/**
 * The rows a SQLite backend keeps across transactions (src/store/sqlite/committed-rows.ts): a
 * read answered from them is what a read of the file would give, whatever rolled back and
 * whatever another connection committed meanwhile.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { PromiseRecord, TaskRecord } from "../../src/protocol/records.js";
import type { Backend } from "../../src/store/backend.js";
import { openSqliteBackend } from "../../src/store/sqlite/index.js";
import { freshDatabasePerTest } from "./sqlite-support.js";

const T0 = 1_700_000_000_000;
const freshPath = freshDatabasePerTest();

function promise(id: string, state: PromiseRecord["state"] = "pending"): PromiseRecord {
  return { id, state, param: {}, value: {}, tags: {}, timeoutAt: T0 + 1000, createdAt: T0, ...(state === "pending" ? {} : { settledAt: T0 + 1 }) };
}

function task(id: string, version: number): TaskRecord {
  return { id, state: "acquired", version, resumes: [], ttl: 5000, pid: "p", expiresAt: T0 + 5000 };
}

/** Reads through the backend, in a transaction of its own. */
function read(backend: Backend, id: string): Promise<{ promise: PromiseRecord | undefined; task: TaskRecord | undefined; many: PromiseRecord[] }> {
  return backend.transaction(async (tx) => ({ promise: await tx.getPromise(id), task: await tx.getTask(id), many: await tx.getPromises([id]) }));
}

async function withBackend(run: (backend: Backend, path: string) => Promise<void>): Promise<void> {
  const path = freshPath();
  const backend = openSqliteBackend(path);
  try {
    await run(backend, path);
  } finally {
    await backend.close();
  }
}

describe("SQLite rows kept across transactions", () => {
  it("sees what another connection committed since", async () => {
    await withBackend(async (backend, path) => {
      await backend.transaction(async (tx) => {
        await tx.insertPromise(promise("a"));
        await tx.putTask(task("a", 1));
      });
      expect((await read(backend, "a")).promise?.state).toBe("pending");
      const other = new Database(path);
      try {
        other.prepare("UPDATE promises SET state = 'resolved', settled_at = ? WHERE id = 'a'").run(T0 + 5);
        other.prepare("UPDATE tasks SET version = 7 WHERE id = 'a'").run();
      } finally {
        other.close();
      }
      const after = await read(backend, "a");
      expect(after.promise).toMatchObject({ state: "resolved", settledAt: T0 + 5 });
      expect(after.many.map((p) => p.state)).toEqual(["resolved"]);
      expect(after.task?.version).toBe(7);
    });
  });

  it("keeps nothing of a transaction that threw, alone or beside others that committed", async () => {
    await withBackend(async (backend) => {
      await backend.transaction(async (tx) => {
        await tx.insertPromise(promise("a"));
        await tx.insertPromise(promise("b"));
        await tx.putTask(task("a", 1));
      });
      await read(backend, "a");
      await read(backend, "b");
      // Alone: the whole transaction rolls back.
      await expect(
        backend.transaction(async (tx) => {
          await tx.updatePromise(promise("a", "resolved"));
          await tx.putTask(task("a", 2));
          expect((await tx.getPromise("a"))?.state).toBe("resolved");
          throw new Error("after writing");
        }),
      ).rejects.toThrow("after writing");
      // Read inside the transaction after its own write, the row was not kept: it rolled back.
      expect((await read(backend, "a")).promise?.state).toBe("pending");
      // In a batch: the second is rolled back to its savepoint, the first and third commit.
      const outcomes = await Promise.allSettled([
        backend.transaction(async (tx) => tx.updatePromise(promise("b", "resolved"))),
        backend.transaction(async (tx) => {
          await tx.updatePromise(promise("a", "rejected"));
          throw new Error("in a batch");
        }),
        backend.transaction(async (tx) => tx.getPromise("b")),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      const a = await read(backend, "a");
      expect(a.promise?.state).toBe("pending");
      expect(a.task?.version).toBe(1);
      expect((await read(backend, "b")).promise?.state).toBe("resolved");
    });
  });

  it("forgets what was deleted", async () => {
    await withBackend(async (backend) => {
      await backend.transaction(async (tx) => {
        for (const id of ["r", "r.1", "r.2", "s"]) await tx.insertPromise(promise(id));
        await tx.putTask(task("r", 1));
        await tx.putTask(task("s", 1));
      });
      for (const id of ["r", "r.1", "r.2", "s"]) await read(backend, id);
      await backend.transaction(async (tx) => {
        await tx.deleteWithPrefix("r.", 10);
        await tx.deletePromise("s");
      });
      expect((await read(backend, "r.1")).promise).toBeUndefined();
      expect((await read(backend, "r.2")).many).toEqual([]);
      expect(await read(backend, "s")).toEqual({ promise: undefined, task: undefined, many: [] });
      expect((await read(backend, "r")).task?.version).toBe(1);
    });
  });

  it("answers a batch read in id order, kept rows and read rows together", async () => {
    await withBackend(async (backend) => {
      const ids = Array.from({ length: 30 }, (_, n) => `p${String(n).padStart(2, "0")}`);
      await backend.transaction(async (tx) => {
        for (const id of ids) await tx.insertPromise(promise(id));
      });
      // Every third is read on its own first, so the batch read below mixes both.
      for (const id of ids.filter((_, n) => n % 3 === 0)) await read(backend, id);
      const shuffled = [...ids].reverse().concat(["p05", "missing"]);
      const found = await backend.transaction((tx) => tx.getPromises(shuffled));
      expect(found.map((p) => p.id)).toEqual(ids);
    });
  });
});
