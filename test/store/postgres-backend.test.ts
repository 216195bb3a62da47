/** The PostgreSQL backend below the kernel: locking, races, SKIP LOCKED, NOTIFY, migrations. */
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Envelope } from "../../src/protocol/messages.js";
import type { PromiseRecord, ScheduleRecord, TaskRecord } from "../../src/protocol/records.js";
import type { Backend, PromiseQuery } from "../../src/store/backend.js";
import { openPostgresBackend } from "../../src/store/postgres/index.js";
import { MIGRATIONS } from "../../src/store/postgres/migrations.js";
import { deferred, dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

const available = await postgresAvailable();

function promise(id: string, fields: Partial<PromiseRecord> = {}): PromiseRecord {
  return { id, state: "pending", param: {}, value: {}, tags: {}, timeoutAt: 1_000_000, createdAt: 1, ...fields };
}

function task(id: string, fields: Partial<TaskRecord> = {}): TaskRecord {
  return { id, state: "pending", version: 1, resumes: [], ...fields };
}

function schedule(id: string, fields: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id,
    cron: "* * * * *",
    promiseId: `${id}.{{.timestamp}}`,
    promiseTimeout: 60_000,
    promiseParam: {},
    promiseTags: {},
    createdAt: 1,
    nextRunAt: 60_000,
    ...fields,
  };
}

function execute(taskId: string, address = "poll://any@workers"): Envelope {
  return { address, message: { kind: "execute", head: {}, data: { task: { id: taskId, version: 1 } } } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `count` callers have arrived. */
function barrier(count: number): () => Promise<void> {
  const all = deferred();
  let arrived = 0;
  return () => {
    if (++arrived === count) all.resolve();
    return all.promise;
  };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for condition");
    await sleep(10);
  }
}

function collect(backend: Backend): Envelope[] {
  const received: Envelope[] = [];
  backend.broadcast!.subscribe((envelope) => received.push(envelope));
  return received;
}

describe.skipIf(!available)("postgres backend", () => {
  let schema: string;
  let schemas: string[];
  let opened: Backend[];

  async function open(inSchema = schema): Promise<Backend> {
    const backend = await openPostgresBackend(PG_URL, { schema: inSchema, poolSize: 4 });
    opened.push(backend);
    return backend;
  }

  async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${schema}"`);
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  beforeEach(() => {
    schema = freshSchemaName();
    schemas = [schema];
    opened = [];
  });

  afterEach(async () => {
    await Promise.all(opened.map((backend) => backend.close()));
    for (const name of schemas) await dropSchema(name);
  });

  describe("records", () => {
    it("round-trip every field, and absent optional fields stay absent", async () => {
      const backend = await open();
      const full = promise("full", {
        state: "resolved",
        param: { headers: { a: "1" }, data: "nul \u0000 and ünïcødé 🎉" },
        value: { data: "eyJvayI6dHJ1ZX0=" },
        // Key order is kept, and values jsonb would refuse (NUL, a lone surrogate) are stored as given.
        tags: { "resonate:target": "poll://any@workers", "x y": "z", a: "nul \u0000", b: "lone \ud800" },
        timeoutAt: 2 ** 52,
        createdAt: 1_700_000_000_000,
        settledAt: 1_700_000_000_001,
        idempotencyKeyForCreate: "ikc",
        idempotencyKeyForComplete: "iks",
      });
      const minimal = promise("minimal");
      const resumes = ["a", "NULL", 'x,"y\\z', "{}", "é 🎉"];
      const fullTask = task("full", { state: "acquired", version: 7, resumes, ttl: 30_000, pid: "p1", expiresAt: 99 });
      const minimalTask = task("minimal");
      const fullSchedule = schedule("full", { promiseParam: { data: "x" }, promiseTags: { t: "1" }, lastRunAt: 5 });
      const minimalSchedule = schedule("minimal");

      await backend.transaction(async (tx) => {
        await tx.insertPromise(full);
        await tx.insertPromise(minimal);
        await tx.putTask(fullTask);
        await tx.putTask(minimalTask);
        await tx.putSchedule(fullSchedule);
        await tx.putSchedule(minimalSchedule);
      });
      const read = await backend.transaction(async (tx) => ({
        promises: [await tx.getPromise("full"), await tx.getPromise("minimal"), await tx.getPromise("nope")],
        tasks: [await tx.getTask("full"), await tx.getTask("minimal")],
        schedules: [await tx.getSchedule("full"), await tx.getSchedule("minimal")],
      }));

      expect(read.promises).toStrictEqual([full, minimal, undefined]);
      expect(JSON.stringify(read.promises[0])).toBe(JSON.stringify(full));
      expect(read.tasks).toStrictEqual([fullTask, minimalTask]);
      expect(read.schedules).toStrictEqual([fullSchedule, minimalSchedule]);
    });

    it("updates and replaces rows, and deletes schedules", async () => {
      const backend = await open();
      await backend.transaction(async (tx) => {
        await tx.insertPromise(promise("p"));
        await tx.putTask(task("t"));
        await tx.putSchedule(schedule("s"));
      });
      await backend.transaction(async (tx) => {
        await tx.updatePromise(promise("p", { state: "rejected", value: { data: "no" }, settledAt: 3 }));
        await tx.putTask(task("t", { state: "acquired", version: 2, pid: "p", ttl: 5, expiresAt: 10 }));
        await tx.putSchedule(schedule("s", { nextRunAt: 120_000, lastRunAt: 60_000 }));
      });
      await backend.transaction(async (tx) => {
        expect(await tx.getPromise("p")).toStrictEqual(promise("p", { state: "rejected", value: { data: "no" }, settledAt: 3 }));
        expect(await tx.getTask("t")).toStrictEqual(task("t", { state: "acquired", version: 2, pid: "p", ttl: 5, expiresAt: 10 }));
        expect((await tx.getSchedule("s"))?.nextRunAt).toBe(120_000);
        await tx.deleteSchedule("s");
        expect(await tx.getSchedule("s")).toBeUndefined();
      });
      await expect(backend.transaction((tx) => tx.updatePromise(promise("missing")))).rejects.toThrow(/no promise/);
    });

    it("roll back every write when the work throws", async () => {
      const backend = await open();
      await expect(
        backend.transaction(async (tx) => {
          await tx.insertPromise(promise("p"));
          await tx.addCallback("p", "q");
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      await backend.transaction(async (tx) => {
        expect(await tx.getPromise("p")).toBeUndefined();
        expect(await tx.takeCallbacks("p")).toEqual([]);
      });
    });
  });

  describe("queries", () => {
    it("search ids by glob (LIKE's own wildcards are literal), state, tags and cursor", async () => {
      const backend = await open();
      await backend.transaction(async (tx) => {
        await tx.insertPromise(promise("a.1", { tags: { k: "v", other: "x" } }));
        await tx.insertPromise(promise("a.2", { state: "resolved", tags: { k: "v" } }));
        await tx.insertPromise(promise("a_b", { tags: { k: "w" } }));
        await tx.insertPromise(promise("a%c"));
        await tx.insertPromise(promise("b.1", { tags: { odd: "\u0000 \ud800" } }));
      });
      const ids = (query: PromiseQuery) => backend.transaction(async (tx) => (await tx.searchPromises(query)).map((p) => p.id));

      expect(await ids({ limit: 10 })).toEqual(["a%c", "a.1", "a.2", "a_b", "b.1"]);
      expect(await ids({ idPattern: "*", limit: 10 })).toHaveLength(5);
      expect(await ids({ idPattern: "a.*", limit: 10 })).toEqual(["a.1", "a.2"]);
      expect(await ids({ idPattern: "a_*", limit: 10 })).toEqual(["a_b"]);
      expect(await ids({ idPattern: "a%*", limit: 10 })).toEqual(["a%c"]);
      expect(await ids({ idPattern: "*.1", limit: 10 })).toEqual(["a.1", "b.1"]);
      expect(await ids({ idPattern: "a*1", limit: 10 })).toEqual(["a.1"]);
      expect(await ids({ idPattern: "a.1", limit: 10 })).toEqual(["a.1"]);
      expect(await ids({ idPattern: "a", limit: 10 })).toEqual([]);
      expect(await ids({ state: "pending", idPattern: "a.*", limit: 10 })).toEqual(["a.1"]);
      expect(await ids({ tags: { k: "v" }, limit: 10 })).toEqual(["a.1", "a.2"]);
      expect(await ids({ tags: { k: "v", other: "x" }, limit: 10 })).toEqual(["a.1"]);
      expect(await ids({ tags: {}, limit: 10 })).toHaveLength(5);
      expect(await ids({ tags: { odd: "\u0000 \ud800" }, limit: 10 })).toEqual(["b.1"]);
      expect(await ids({ limit: 2 })).toEqual(["a%c", "a.1"]);
      expect(await ids({ limit: 2, after: "a.1" })).toEqual(["a.2", "a_b"]);
    });

    it("find the children of an execution by id prefix", async () => {
      const backend = await open();
      await backend.transaction(async (tx) => {
        for (const id of ["p", "p.0", "p.1", "p.1.0", "p/x", "pq", "p-", "o.9", "é.1", "é.2"]) await tx.insertPromise(promise(id));
      });
      await backend.transaction(async (tx) => {
        expect((await tx.promisesUnder("p", 10)).map((p) => p.id)).toEqual(["p.0", "p.1", "p.1.0"]);
        expect((await tx.promisesUnder("p", 2)).map((p) => p.id)).toEqual(["p.0", "p.1"]);
        expect((await tx.promisesUnder("p.1", 10)).map((p) => p.id)).toEqual(["p.1.0"]);
        expect((await tx.promisesUnder("é", 10)).map((p) => p.id)).toEqual(["é.1", "é.2"]);
        expect(await tx.promisesUnder("none", 10)).toEqual([]);
      });
    });

    it("search tasks by state and schedules by tags, with cursors", async () => {
      const backend = await open();
      await backend.transaction(async (tx) => {
        await tx.putTask(task("t1"));
        await tx.putTask(task("t2", { state: "acquired" }));
        await tx.putTask(task("t3"));
        await tx.putSchedule(schedule("s1", { promiseTags: { team: "a" } }));
        await tx.putSchedule(schedule("s2", { promiseTags: { team: "b" } }));
      });
      await backend.transaction(async (tx) => {
        expect((await tx.searchTasks({ limit: 10 })).map((t) => t.id)).toEqual(["t1", "t2", "t3"]);
        expect((await tx.searchTasks({ state: "pending", limit: 10 })).map((t) => t.id)).toEqual(["t1", "t3"]);
        expect((await tx.searchTasks({ state: "pending", limit: 1, after: "t1" })).map((t) => t.id)).toEqual(["t3"]);
        expect((await tx.searchSchedules({ limit: 10 })).map((s) => s.id)).toEqual(["s1", "s2"]);
        expect((await tx.searchSchedules({ tags: { team: "b" }, limit: 10 })).map((s) => s.id)).toEqual(["s2"]);
        expect((await tx.searchSchedules({ limit: 10, after: "s1" })).map((s) => s.id)).toEqual(["s2"]);
      });
    });

    it("take callbacks and listeners once, in registration order", async () => {
      const backend = await open();
      await backend.transaction(async (tx) => {
        await tx.addCallback("p", "z");
        await tx.addCallback("p", "a");
        await tx.addCallback("p", "z"); // idempotent
        await tx.addCallback("q", "a");
        await tx.addCallback("q", "b");
        await tx.addListener("p", "poll://uni@g/2");
        await tx.addListener("p", "poll://uni@g/1");
        await tx.addListener("p", "poll://uni@g/2");
      });
      await backend.transaction(async (tx) => {
        await tx.deleteCallbacksOf("a");
        expect(await tx.takeCallbacks("p")).toEqual(["z"]);
        expect(await tx.takeCallbacks("p")).toEqual([]);
        expect(await tx.takeCallbacks("q")).toEqual(["b"]);
        expect(await tx.takeListeners("p")).toEqual(["poll://uni@g/2", "poll://uni@g/1"]);
        expect(await tx.takeListeners("p")).toEqual([]);
      });
    });

    it("return due work earliest first, and the next deadline", async () => {
      const backend = await open();
      expect(await backend.transaction((tx) => tx.nextDeadline())).toBeUndefined();
      await backend.transaction(async (tx) => {
        await tx.insertPromise(promise("late", { timeoutAt: 300 }));
        await tx.insertPromise(promise("early", { timeoutAt: 100 }));
        await tx.insertPromise(promise("settled", { state: "resolved", timeoutAt: 50, settledAt: 1 }));
        await tx.putTask(task("lease", { state: "acquired", expiresAt: 200 }));
        await tx.putTask(task("suspended", { state: "suspended", expiresAt: 10 }));
        await tx.putSchedule(schedule("cron", { nextRunAt: 150 }));
      });
      await backend.transaction(async (tx) => {
        expect((await tx.duePromises(300, 10)).map((p) => p.id)).toEqual(["early", "late"]);
        expect((await tx.duePromises(299, 10)).map((p) => p.id)).toEqual(["early"]);
        expect((await tx.duePromises(300, 1)).map((p) => p.id)).toEqual(["early"]);
        expect((await tx.dueTasks(1_000, 10)).map((t) => t.id)).toEqual(["lease"]);
        expect((await tx.dueSchedules(150, 10)).map((s) => s.id)).toEqual(["cron"]);
        expect(await tx.dueSchedules(149, 10)).toEqual([]);
        expect(await tx.nextDeadline()).toBe(100);
      });
    });
  });

  describe("concurrency", () => {
    it("a single-row read locks the row until commit, so read-modify-writes serialize", async () => {
      const backend = await open();
      await backend.transaction((tx) => tx.insertPromise(promise("x")));
      const locked = deferred();
      const release = deferred();
      const first = backend.transaction(async (tx) => {
        const current = await tx.getPromise("x");
        locked.resolve();
        await release.promise;
        await tx.updatePromise({ ...current!, state: "resolved", settledAt: 2 });
      });
      await locked.promise;
      let secondRead = false;
      const second = backend.transaction(async (tx) => {
        const current = await tx.getPromise("x");
        secondRead = true;
        return current?.state;
      });
      await sleep(200);
      expect(secondRead).toBe(false);
      release.resolve();
      await first;
      expect(await second).toBe("resolved");
    });

    it("two creates of one promise id: one inserts, the other is retried and finds it", async () => {
      const backend = await open();
      const bothReadAbsent = barrier(2);
      const attempts = { a: 0, b: 0 };
      const create = (who: "a" | "b") =>
        backend.transaction(async (tx) => {
          const attempt = ++attempts[who];
          const existing = await tx.getPromise("race");
          if (attempt === 1) await bothReadAbsent();
          if (existing) return `${who} found ${existing.tags.by}`;
          await tx.insertPromise(promise("race", { tags: { by: who } }));
          return `${who} inserted`;
        });
      const results = await Promise.all([create("a"), create("b")]);
      const winner = results.find((r) => r.endsWith("inserted"))!.slice(0, 1) as "a" | "b";
      const loser = winner === "a" ? "b" : "a";
      expect(results.sort()).toEqual([`${winner} inserted`, `${loser} found ${winner}`].sort());
      expect(attempts[winner]).toBe(1);
      expect(attempts[loser]).toBe(2);
    });

    it("a task or schedule written after reading it absent never overwrites a racing insert", async () => {
      const backend = await open();
      for (const kind of ["task", "schedule"] as const) {
        const bothReadAbsent = barrier(2);
        const attempts = { a: 0, b: 0 };
        const create = (who: "a" | "b") =>
          backend.transaction(async (tx) => {
            const attempt = ++attempts[who];
            const existing = kind === "task" ? await tx.getTask("race") : await tx.getSchedule("race");
            if (attempt === 1) await bothReadAbsent();
            if (existing) return "found";
            if (kind === "task") await tx.putTask(task("race", { pid: who }));
            else await tx.putSchedule(schedule("race", { cron: who }));
            return "inserted";
          });
        expect((await Promise.all([create("a"), create("b")])).sort()).toEqual(["found", "inserted"]);
        expect(attempts.a + attempts.b).toBe(3);
      }
    });

    it("a deadlock between two transactions is retried until both commit", async () => {
      const backend = await open();
      await backend.transaction(async (tx) => {
        await tx.insertPromise(promise("left"));
        await tx.insertPromise(promise("right"));
      });
      const bothHoldOne = barrier(2);
      let attempts = 0;
      const lockBoth = (first: string, second: string) =>
        backend.transaction(async (tx) => {
          attempts++;
          const a = await tx.getPromise(first);
          if (attempts <= 2) await bothHoldOne();
          await tx.getPromise(second);
          await tx.updatePromise({ ...a!, tags: { ...a!.tags, [second]: "seen" } });
        });
      await Promise.all([lockBoth("left", "right"), lockBoth("right", "left")]);
      // At least one retry; a loaded machine may make PostgreSQL pick a victim more than once.
      expect(attempts).toBeGreaterThanOrEqual(3);
      const [left, right] = await backend.transaction(async (tx) => [await tx.getPromise("left"), await tx.getPromise("right")]);
      expect(left!.tags).toEqual({ right: "seen" });
      expect(right!.tags).toEqual({ left: "seen" });
    });

    it("due queries of concurrent transactions skip each other's rows", async () => {
      const backend = await open();
      await backend.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) {
          await tx.insertPromise(promise(`p${i}`, { timeoutAt: 100 + i }));
          await tx.putTask(task(`t${i}`, { expiresAt: 100 + i }));
          await tx.putSchedule(schedule(`s${i}`, { nextRunAt: 100 + i }));
        }
      });
      const holding = deferred<string[]>();
      const release = deferred();
      const first = backend.transaction(async (tx) => {
        const ids = [
          ...(await tx.duePromises(1_000, 5)).map((p) => p.id),
          ...(await tx.dueTasks(1_000, 5)).map((t) => t.id),
          ...(await tx.dueSchedules(1_000, 5)).map((s) => s.id),
        ];
        holding.resolve(ids);
        await release.promise;
      });
      const firstIds = await holding.promise;
      const secondIds = await backend.transaction(async (tx) => [
        ...(await tx.duePromises(1_000, 10)).map((p) => p.id),
        ...(await tx.dueTasks(1_000, 10)).map((t) => t.id),
        ...(await tx.dueSchedules(1_000, 10)).map((s) => s.id),
      ]);
      release.resolve();
      await first;
      expect(firstIds).toHaveLength(15);
      expect(secondIds).toHaveLength(15);
      expect(new Set([...firstIds, ...secondIds]).size).toBe(30);
    });
  });

  describe("broadcast", () => {
    it("reaches every backend on the schema, the sender at once and once only, and no other schema", async () => {
      const other = freshSchemaName();
      schemas.push(other);
      const [a, b, c] = await Promise.all([open(), open(), open(other)]);
      const [atA, atB, atC] = [collect(a), collect(b), collect(c)];
      const sent = [execute("t1"), execute("t1"), execute("t2", "poll://uni@workers/1")];
      await a.broadcast!.publish(sent);
      // The sender's own subscribers have heard by the time publish resolves; its echo is ignored.
      expect(atA).toEqual(sent);
      await until(() => atB.length === 3);
      expect(atB).toEqual(sent);
      await sleep(100);
      expect(atA).toEqual(sent);
      expect(atC).toEqual([]);
    });

    it("splits many envelopes across payloads and keeps their order", async () => {
      const [a, b] = await Promise.all([open(), open()]);
      const atB = collect(b);
      const sent = Array.from({ length: 500 }, (_, i) => execute(`task-${i}-${"x".repeat(i % 50)}`));
      await a.broadcast!.publish(sent.slice(0, 250));
      await a.broadcast!.publish(sent.slice(250));
      await until(() => atB.length === sent.length);
      expect(atB).toEqual(sent);
    });

    it("sends an unblock too big for NOTIFY by reference, and receivers re-read the promise", async () => {
      const [a, b] = await Promise.all([open(), open()]);
      const atB = collect(b);
      const big = promise("big", { state: "resolved", settledAt: 2, value: { data: "v".repeat(50_000) } });
      await a.transaction((tx) => tx.insertPromise(big));
      const sent: Envelope[] = [
        execute("before"),
        { address: "poll://uni@workers/1", message: { kind: "unblock", head: { serverUrl: "http://s" }, data: { promise: big } } },
        execute("after"),
      ];
      await a.broadcast!.publish(sent);
      await until(() => atB.length === 3);
      expect(atB).toEqual(sent);
    });

    it("keeps delivering after the LISTEN connection is killed", async () => {
      const [a, b] = await Promise.all([open(), open()]);
      const atB = collect(b);
      const killed = await sql<{ killed: boolean }>(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name LIKE $1",
        [`reprise listen %${schema}`],
      );
      expect(killed.length).toBe(2);
      // Messages sent while disconnected are lost (they are wake-ups); probe until one arrives.
      for (let i = 0; atB.length === 0 && i < 150; i++) {
        await a.broadcast!.publish([execute(`probe-${i}`)]);
        await sleep(100);
      }
      expect(atB.length).toBeGreaterThan(0);
    });
  });

  describe("migrations", () => {
    it("run once when several servers open a fresh schema together, and again is a no-op", async () => {
      await Promise.all([open(), open(), open(), open()]);
      await open();
      const rows = await sql<{ version: number }>("SELECT version FROM reprise_migrations ORDER BY version");
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    });

    it("refuse a schema migrated by a newer Reprise", async () => {
      await open();
      await sql("INSERT INTO reprise_migrations (version, name) VALUES (999, 'from the future')");
      await expect(open()).rejects.toThrow(/newer than this Reprise/);
    });

    it("refuse a schema name that is not a plain identifier", async () => {
      await expect(openPostgresBackend(PG_URL, { schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(/invalid PostgreSQL schema/);
    });
  });
});
