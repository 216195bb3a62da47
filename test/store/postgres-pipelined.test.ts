/**
 * The PostgreSQL backend's pipelined transactions (backend.ts) and buffered writes
 * (write-behind.ts), at the Tx level: callbacks and listeners added in a transaction are found by
 * a take in the same transaction whether or not a flush wrote them meanwhile, and not found twice;
 * a transaction whose flush loses an insert race is rolled back by the COMMIT pipelined behind it,
 * and retried whole; a transaction that fails before COMMIT leaves nothing behind.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import type { Backend } from "../../src/store/backend.js";
import { openPostgresBackend } from "../../src/store/postgres/index.js";
import { deferred, dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

const available = await postgresAvailable();
const T0 = 1_700_000_000_000;

function pending(id: string): PromiseRecord {
  return { id, state: "pending", param: {}, value: {}, tags: {}, timeoutAt: T0 + 60_000, createdAt: T0 };
}

describe.runIf(available)("PostgreSQL pipelined transactions", () => {
  let schema = "";
  let backend: Backend;
  beforeEach(async () => {
    schema = freshSchemaName();
    backend = await openPostgresBackend(PG_URL, { schema });
  });
  afterEach(async () => {
    await backend.close();
    await dropSchema(schema);
  });

  it("a take finds the waiters this transaction added, before and after a flush wrote them, once", async () => {
    await backend.transaction(async (tx) => {
      await tx.insertPromise(pending("a"));
      await tx.insertPromise(pending("a.1"));
      await tx.addListener("a", "poll://uni@g/1");
      await tx.addCallback("a", "t1");
      await tx.addCallback("a", "t1"); // twice: one callback
      expect(await tx.takeListeners("a")).toEqual(["poll://uni@g/1"]);
      expect(await tx.takeListeners("a")).toEqual([]);
      await tx.addListener("a", "poll://uni@g/2");
      // A scan of a range holding a buffered promise writes everything buffered first.
      expect((await tx.promisesUnder("a", 10)).map((p) => p.id)).toEqual(["a.1"]);
      await tx.addListener("a", "poll://uni@g/3");
      expect(await tx.takeListeners("a")).toEqual(["poll://uni@g/2", "poll://uni@g/3"]);
      expect(await tx.takeCallbacks("a")).toEqual(["t1"]);
      expect(await tx.takeCallbacks("a")).toEqual([]);
    });
    // What was added and not taken is committed; what was taken is not.
    await backend.transaction(async (tx) => {
      await tx.addCallback("a", "t2");
      await tx.addListener("a", "poll://uni@g/4");
    });
    await backend.transaction(async (tx) => {
      await tx.getPromise("a");
      expect(await tx.takeCallbacks("a")).toEqual(["t2"]);
      expect(await tx.takeListeners("a")).toEqual(["poll://uni@g/4"]);
    });
  });

  it("deleteCallbacksOf drops the callbacks this transaction added for that awaiter", async () => {
    await backend.transaction(async (tx) => {
      await tx.insertPromise(pending("b"));
      await tx.addCallback("b", "t1");
      await tx.addCallback("b", "t2");
      await tx.deleteCallbacksOf("t1");
      expect(await tx.takeCallbacks("b")).toEqual(["t2"]);
    });
  });

  it("a flush that loses an insert race rolls the whole transaction back, and the retry sees the winner", async () => {
    const firstReadDone = deferred();
    const winnerCommitted = deferred();
    let attempts = 0;
    const loser = backend.transaction(async (tx) => {
      attempts++;
      const seen = await tx.getPromise("c");
      if (attempts === 1) {
        firstReadDone.resolve();
        await winnerCommitted.promise;
      }
      if (seen) return "found";
      await tx.insertPromise(pending("c"));
      // Also written by this attempt: it must go with the lost insert.
      await tx.addListener("c", "poll://uni@g/loser");
      return "inserted";
    });
    await firstReadDone.promise;
    await backend.transaction(async (tx) => {
      await tx.insertPromise({ ...pending("c"), tags: { winner: "yes" } });
    });
    winnerCommitted.resolve();
    expect(await loser).toBe("found");
    expect(attempts).toBe(2);
    await backend.transaction(async (tx) => {
      expect((await tx.getPromise("c"))?.tags).toEqual({ winner: "yes" });
      expect(await tx.takeListeners("c")).toEqual([]);
    });
  });

  it("a transaction that throws after writing leaves nothing behind", async () => {
    await expect(
      backend.transaction(async (tx) => {
        await tx.insertPromise(pending("d"));
        await tx.addListener("d", "poll://uni@g/1");
        await tx.promisesUnder("d", 10); // nothing buffered in that range: no flush
        await tx.insertPromise(pending("d.1"));
        await tx.promisesUnder("d", 10); // this one flushes
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await backend.transaction(async (tx) => {
      expect(await tx.getPromise("d")).toBeUndefined();
      expect(await tx.getPromise("d.1")).toBeUndefined();
    });
  });
});
