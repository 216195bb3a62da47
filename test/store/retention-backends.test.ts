/**
 * Retention where the backends differ: the migration that adds finished-root rows keeps executions
 * that finished before it until they are purged by hand (SQLite and PostgreSQL), and two PostgreSQL
 * stores purging one schema at once take disjoint executions (SKIP LOCKED) and delete each once.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { rootTags } from "../../src/protocol/calls.js";
import type { RequestOf } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { ProtocolStore } from "../../src/store/index.js";
import { openPostgresBackend } from "../../src/store/postgres/index.js";
import { openSqliteBackend } from "../../src/store/sqlite/sqlite-backend.js";
import type { Store } from "../../src/store/store.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";
import { freshDatabasePath } from "./sqlite-support.js";

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;
const HEAD = { corrId: "c", version: "test" };

function create(id: string, tags: Record<string, string>): RequestOf<"promise.create"> {
  return { kind: "promise.create", head: HEAD, data: { id, timeoutAt: T0 + DAY, param: {}, tags } };
}

async function send(store: Store, req: RequestOf<"task.create"> | RequestOf<"task.fence"> | RequestOf<"task.fulfill"> | RequestOf<"promise.create"> | RequestOf<"promise.settle">): Promise<void> {
  const response = await store.apply(req, T0);
  expect(response.head.status, JSON.stringify(response.data)).toBe(200);
}

/** A finished execution `id` with one step (Reprise's tags, or another SDK's when `foreign`). */
async function finished(store: Store, id: string, tags: Record<string, string> = {}, foreign = false): Promise<void> {
  const root = foreign ? { [TAG.target]: "poll://any@g", [TAG.scope]: "global" } : { ...rootTags("job", "poll://any@g", id), ...tags };
  await send(store, { kind: "task.create", head: HEAD, data: { pid: "p", ttl: DAY, action: create(id, root) } });
  const step = create(`${id}.1`, { [TAG.kind]: "step" });
  await send(store, { kind: "task.fence", head: HEAD, data: { id, version: 1, action: { ...step, data: { ...step.data, result: { state: "resolved", value: {} } } } } });
  await send(store, { kind: "task.fulfill", head: HEAD, data: { id, version: 1, action: { kind: "promise.settle", head: HEAD, data: { id, state: "resolved", value: {} } } } });
}

/** Executions finished under the schema before retention: the rows a migration must backfill. */
async function beforeRetention(store: Store): Promise<void> {
  await finished(store, "reprise-root");
  await finished(store, "foreign-root", {}, true);
  await send(store, { kind: "task.create", head: HEAD, data: { pid: "p", ttl: DAY, action: create("running", rootTags("job", "poll://any@g", "running")) } });
  await send(store, create("loose", {}));
  await send(store, { kind: "promise.settle", head: HEAD, data: { id: "loose", state: "resolved", value: {} } });
}

async function expectBackfilled(store: Store): Promise<void> {
  expect(await store.finishedRoot!("reprise-root")).toEqual({ id: "reprise-root", settledAt: T0 });
  expect(await store.finishedRoot!("foreign-root")).toEqual({ id: "foreign-root", settledAt: T0 });
  for (const id of ["running", "loose", "reprise-root.1"]) expect(await store.finishedRoot!(id)).toBeUndefined();
  // Kept by the automatic purge (their retention was never decided), deleted by hand.
  expect(await store.purge!({ now: T0 + 365 * DAY })).toMatchObject({ executions: 0 });
  expect(await store.purge!({ now: T0 + DAY, olderThanMs: DAY })).toMatchObject({ executions: 2, promises: 4 });
}

describe("retention migration, SQLite", () => {
  it("keeps executions that finished before it until they are purged by hand", async () => {
    const { path, remove } = freshDatabasePath();
    try {
      const before = new ProtocolStore(openSqliteBackend(path));
      await beforeRetention(before);
      await before.close();
      // Back to the schema before retention, with the promises it holds.
      const db = new Database(path);
      db.exec("DROP TABLE finished_roots");
      db.pragma("user_version = 4"); // the flow-control tables (4) stay; retention is 5
      db.close();

      const after = new ProtocolStore(openSqliteBackend(path));
      await expectBackfilled(after);
      await after.close();
    } finally {
      await remove();
    }
  });
});

if (await postgresAvailable()) {
  describe("retention, PostgreSQL", () => {
    it("migration: keeps executions that finished before it until they are purged by hand", async () => {
      const schema = freshSchemaName();
      try {
        const before = new ProtocolStore(await openPostgresBackend(PG_URL, { schema }));
        await beforeRetention(before);
        await before.close();
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP TABLE "${schema}".finished_roots; DELETE FROM "${schema}".reprise_migrations WHERE version = 6`);
        await client.end();

        const after = new ProtocolStore(await openPostgresBackend(PG_URL, { schema }));
        await expectBackfilled(after);
        await after.close();
      } finally {
        await dropSchema(schema);
      }
    });

    it("two stores purging one schema at once delete every due execution exactly once", async () => {
      const schema = freshSchemaName();
      const first = new ProtocolStore(await openPostgresBackend(PG_URL, { schema }));
      const second = new ProtocolStore(await openPostgresBackend(PG_URL, { schema }));
      try {
        const ids = Array.from({ length: 120 }, (_, n) => `job-${n}`);
        for (const id of ids) await finished(first, id, { [TAG.retention]: "1000" });
        const reports = await Promise.all([first.purge({ now: T0 + 1000 }), second.purge({ now: T0 + 1000 }), first.purge({ now: T0 + 1000 })]);
        expect(reports.reduce((sum, report) => sum + report.executions, 0)).toBe(ids.length);
        expect(reports.reduce((sum, report) => sum + report.promises, 0)).toBe(2 * ids.length);
        const left = await first.apply({ kind: "promise.search", head: HEAD, data: { id: "job-*", limit: 10 } }, T0 + 1000);
        expect(left.data).toEqual({ promises: [] });
      } finally {
        await first.close();
        await second.close();
        await dropSchema(schema);
      }
    });
  });
} else {
  describe.skip("retention, PostgreSQL (PostgreSQL unreachable)", () => {
    it.skip("needs PostgreSQL", () => undefined);
  });
}
