/**
 * Group commit on SQLite: concurrent transactions share one COMMIT, yet each keeps its own
 * outcome. One that throws is rolled back alone; the others commit and are on disk when answered.
 */
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { NOT_NOW, type Backend } from "../../src/store/backend.js";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";
import { isFenceResponse } from "../../src/protocol/step-record.js";
import { openStore } from "../../src/store/index.js";
import { ProtocolStore } from "../../src/store/kernel/index.js";
import { GroupCommit } from "../../src/store/sqlite/group-commit.js";
import { openSqliteBackend } from "../../src/store/sqlite/index.js";
import { freshDatabasePath } from "./sqlite-support.js";

const T0 = 1_700_000_000_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function database(): string {
  const { path, remove } = freshDatabasePath();
  cleanups.push(remove);
  return path;
}

function promise(id: string): PromiseRecord {
  return { id, state: "pending", param: {}, value: {}, tags: {}, timeoutAt: T0 + 1000, createdAt: T0 };
}

function failNow(): never {
  throw new Error("failed after writing");
}

/** What another connection (another process, after a crash) finds on disk. */
function idsOnDisk(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT id FROM promises ORDER BY id").all() as { id: string }[]).map((row) => row.id);
  } finally {
    db.close();
  }
}

describe("SQLite group commit", () => {
  it("rolls back only the transaction that throws; the rest of its batch commits", async () => {
    const path = database();
    const backend = openSqliteBackend(path);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, n) =>
        backend.transaction(async (tx) => {
          await tx.insertPromise(promise(`p${String(n).padStart(3, "0")}`));
          await tx.addCallback(`p${n}`, "someone");
          if (n === 50) throw new Error("step 50 failed after writing");
          return n;
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([
      { status: "rejected", reason: new Error("step 50 failed after writing") },
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(99);
    const onDisk = idsOnDisk(path);
    expect(onDisk).toHaveLength(99);
    expect(onDisk).not.toContain("p050");
    await backend.close();
  });

  it("commits concurrent callers together, in batches no larger than the cap", async () => {
    const path = database();
    const db = new Database(path);
    cleanups.push(async () => {
      db.close();
    });
    db.exec("CREATE TABLE t (n INTEGER)");
    const commits = new GroupCommit(db, 8);
    const insert = db.prepare("INSERT INTO t (n) VALUES (?)");
    await Promise.all(Array.from({ length: 64 }, (_, n) => commits.run(async () => insert.run(n))));
    expect(commits.committedBatches).toBe(8);
    expect((db.prepare("SELECT count(*) AS c FROM t").get() as { c: number }).c).toBe(64);
  });

  it("answers each concurrent request on its own: a bad one gets 400, the others are applied", async () => {
    const path = database();
    const store = await openStore(path);
    const head = { corrId: "c", version: "v" };
    const responses = await Promise.all(
      Array.from({ length: 64 }, (_, n) =>
        store.apply(
          {
            kind: "promise.create",
            head,
            data: { id: n === 31 ? "bad\u0000id" : `ok-${n}`, timeoutAt: T0 + 1000, param: {}, tags: {} },
          },
          T0,
        ),
      ),
    );
    expect(responses.map((r) => r.head.status)).toEqual(Array.from({ length: 64 }, (_, n) => (n === 31 ? 400 : 200)));
    await store.close();
    expect(idsOnDisk(path)).toHaveLength(63);
  });
  it("starts a caller that expects no company within the turn, and one that may have company on the next", async () => {
    const path = database();
    const db = new Database(path);
    cleanups.push(async () => {
      db.close();
    });
    const commits = new GroupCommit(db, 8);
    for (const alone of [true, false]) {
      const order: string[] = [];
      setImmediate(() => order.push("next turn"));
      await commits.run(async () => order.push("transaction"), alone);
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(alone ? ["transaction", "next turn"] : ["next turn", "transaction"]);
    }
  });

  it("hints a lone request after a batch of one, and still gathers a burst that follows into one batch", async () => {
    const path = database();
    const backend = openSqliteBackend(path);
    const hints: boolean[] = [];
    const counting: Backend = {
      transaction: (work, options) => (hints.push(options?.alone === true), backend.transaction(work, options)),
      close: () => backend.close(),
    };
    const store = new ProtocolStore(counting);
    cleanups.push(() => store.close());
    const head = { corrId: "c", version: "v" };
    const create = (id: string) => store.apply({ kind: "promise.create", head, data: { id, timeoutAt: T0 + 1000, param: {}, tags: {} } }, T0);
    for (let n = 0; n < 3; n++) await create(`lone-${n}`);
    const burst = await Promise.all(Array.from({ length: 64 }, (_, n) => create(`burst-${n}`)));
    expect(burst.every((response) => response.head.status === 200)).toBe(true);
    // The first lone request follows whatever came before; the next two follow a batch of one.
    expect(hints.slice(1, 3)).toEqual([true, true]);
    // The burst's first request is taken for lone and starts within the turn; whatever the turn
    // had queued by then joins it, and the rest goes in one more transaction at most.
    expect(hints.length - 3).toBeLessThanOrEqual(2);
  });

  it("runs a lone transaction at once, on disk when it returns; rolls back one that answers undefined or throws; waits behind a queued batch", async () => {
    const path = database();
    const backend = openSqliteBackend(path);
    cleanups.push(() => backend.close());
    const now = backend.transactionNow!.bind(backend);
    expect(now((tx) => (tx.syncRows!.insertNewPromise(promise("a")) ? "made" : undefined))).toBe("made");
    expect(idsOnDisk(path)).toEqual(["a"]);
    // Undefined: what it wrote is rolled back.
    expect(now((tx) => (tx.syncRows!.insertNewPromise(promise("b")), undefined))).toBeUndefined();
    expect(() => now((tx) => (tx.syncRows!.insertNewPromise(promise("c")), failNow()))).toThrow("failed after writing");
    expect(idsOnDisk(path)).toEqual(["a"]);
    // The rows a rolled-back transaction wrote are not taken for committed ones.
    expect(now((tx) => tx.syncRows!.getPromise("b") ?? "missing")).toBe("missing");
    // Behind a queued batch it does not run: the queue keeps its order.
    const queued = backend.transaction(async (tx) => tx.insertPromise(promise("d")));
    let ran = false;
    expect(now(() => (ran = true))).toBe(NOT_NOW);
    expect(ran).toBe(false);
    await queued;
    expect(idsOnDisk(path)).toEqual(["a", "d"]);
  });

  it("records a lone step after a batch of one at once, without the queue's transaction, on disk when answered", async () => {
    const path = database();
    const backend = openSqliteBackend(path);
    const used: string[] = [];
    const counting: Backend = {
      transaction: (work, options) => (used.push("queued"), backend.transaction(work, options)),
      transactionNow: (work) => (used.push("now"), backend.transactionNow!(work)),
      close: () => backend.close(),
    };
    const store = new ProtocolStore(counting);
    cleanups.push(() => store.close());
    const head = { corrId: "c", version: "v" };
    const created = await store.apply(
      { kind: "task.create", head, data: { pid: "p1", ttl: 60_000, action: { kind: "promise.create", head, data: { id: "r", timeoutAt: T0 + 60_000, param: {}, tags: { "resonate:target": "poll://any@workers" } } } } },
      T0,
    );
    expect(created.head.status).toBe(200);
    const version = (created.data as { task: { version: number } }).task.version;
    const step = (n: number) => ({
      taskId: "r",
      version,
      checkedUnder: DEFAULT_LIMITS.maxValueBytes,
      create: { id: `r.${n}`, timeoutAt: T0 + 60_000, param: {}, tags: {}, result: { state: "resolved" as const, value: { data: "MQ==" } } },
    });
    for (let n = 1; n <= 3; n++) {
      used.length = 0;
      const made = await store.recordStep!(step(n), T0 + n);
      expect(made).toMatchObject({ id: `r.${n}`, state: "resolved" });
      expect(idsOnDisk(path)).toContain(`r.${n}`);
      // Each follows a batch of one (the task's create, then the step before): no queue.
      expect(used).toEqual(["now"]);
    }
    // A record the general transition decides (a stale version) still gets its answer, by the queue.
    used.length = 0;
    const stale = await store.recordStep!({ ...step(4), version: version + 1 }, T0 + 4);
    expect(isFenceResponse(stale) && stale.head.status).toBe(409);
    expect(used).toEqual(["now", "queued"]);
    expect(idsOnDisk(path)).not.toContain("r.4");
  });

  it("never begins a batch on one connection while another store of this process holds the file's write lock", async () => {
    // Two connections to one file in one thread: a BEGIN IMMEDIATE that found the lock taken would
    // wait synchronously in SQLite's busy handler, the holder could never reach its COMMIT, and the
    // wait would end in "database is locked".
    const path = database();
    const first = new Database(path);
    const second = new Database(path);
    cleanups.push(async () => {
      first.close();
      second.close();
    });
    first.pragma("journal_mode = WAL");
    first.exec("CREATE TABLE t (n INTEGER)");
    second.pragma("busy_timeout = 200");
    const ours = new GroupCommit(first, 10);
    const theirs = new GroupCommit(second, 10);
    const order: string[] = [];
    let theirsDone: Promise<void> | undefined;
    await ours.run(async () => {
      first.prepare("INSERT INTO t VALUES (1)").run();
      // A lone request of the other store, started while our batch holds the lock: its batch
      // would begin in a microtask, in the middle of ours.
      theirsDone = theirs.run(async () => {
        second.prepare("INSERT INTO t VALUES (2)").run();
        order.push("theirs");
      }, true);
      for (let i = 0; i < 5; i++) await Promise.resolve();
      order.push("ours");
    });
    await theirsDone;
    expect(order).toEqual(["ours", "theirs"]);
    expect((first.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(2);
  });
});

