/**
 * PostgreSQL and ids at the protocol's limit: 2,048 UTF-16 units of any script are up to 6 KiB of
 * UTF-8, past the ~2,700 bytes a btree entry holds, so the schema up to migration 3 failed the
 * insert of such an id. Migration 4 keeps no whole id in a btree; this checks it on a schema
 * that already holds rows (an upgrade), and that every lookup shape can still use an index.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_ID_LENGTH } from "../../src/protocol/limits.js";
import type { Request } from "../../src/protocol/requests.js";
import { openStore } from "../../src/store/index.js";
import { migrate, MIGRATIONS } from "../../src/store/postgres/migrations.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

const available = await postgresAvailable();
const head = { corrId: "c", version: "v" };
const T0 = 1_700_000_000_000;

/** Scrambled CJK: 3 bytes a character, nothing a compressor could shorten. */
function longId(seed: number): string {
  let state = seed;
  let text = "";
  while (text.length < MAX_ID_LENGTH) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    text += String.fromCharCode(0x4e00 + ((state >> 8) % 20_000));
  }
  return text;
}

const insertPromise = (client: pg.Client, id: string) =>
  client.query("INSERT INTO promises (id, state, param, value, tags, timeout_at, created_at) VALUES ($1, 'pending', '{}', '{}', '{}', $2, $3)", [id, T0 + 60_000, T0]);

describe.skipIf(!available)("PostgreSQL: ids of the largest length", () => {
  let schema: string;
  let client: pg.Client;
  beforeEach(async () => {
    schema = freshSchemaName();
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
    await dropSchema(schema);
  });

  async function migrateTo(version: number): Promise<void> {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    const connection = await pool.connect();
    try {
      await migrate(connection, schema, MIGRATIONS.filter((m) => m.version <= version));
    } finally {
      connection.release();
      await pool.end();
    }
    await client.query(`SET search_path TO "${schema}"`);
  }

  it("failed to insert one before migration 4, and holds it after, with the rows already there", async () => {
    await migrateTo(3);
    await insertPromise(client, "short-1");
    await expect(insertPromise(client, longId(1))).rejects.toThrow(/index row size .* exceeds btree/);

    const store = await openStore(`${PG_URL}?schema=${schema}`);
    try {
      const id = longId(1);
      const created = await store.apply({ kind: "promise.create", head, data: { id, timeoutAt: T0 + 60_000, param: {}, tags: {} } } as Request, T0);
      expect(created.head.status).toBe(200);
      const got = await store.apply({ kind: "promise.get", head, data: { id: "short-1" } } as Request, T0);
      expect(got.head.status).toBe(200);
      const again = await store.apply({ kind: "promise.create", head, data: { id, timeoutAt: T0 + 60_000, param: {}, tags: {} } } as Request, T0);
      expect((again.data as { promise: { id: string } }).promise.id).toBe(id);
    } finally {
      await store.close();
    }
    // Exact: the same id twice is refused by the hash's unique index.
    await expect(insertPromise(client, longId(1))).rejects.toThrow(/duplicate key value violates unique constraint "promises_id_unique"/);
  });

  it("keeps the id hash through migration 8 (PL/pgSQL): rows inserted before are still found as duplicates", async () => {
    await migrateTo(7);
    const ids = ["short-1", longId(2), "é→𝄞-ünïcode", "a\\b\"c"];
    for (const id of ids) await insertPromise(client, id);
    const hashes = async () => (await client.query<{ hash: Buffer }>("SELECT reprise_id_hash(id) AS hash FROM unnest($1::text[]) AS id", [ids])).rows.map((row) => row.hash.toString("hex"));
    const before = await hashes();
    expect(before).toEqual(ids.map((id) => createHash("sha256").update(id, "utf8").digest("hex")));

    await migrateTo(8);
    const language = await client.query<{ lanname: string }>(
      "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'reprise_id_hash' AND p.pronamespace = $1::regnamespace",
      [schema],
    );
    expect(language.rows.map((row) => row.lanname)).toEqual(["plpgsql"]);
    expect(await hashes()).toEqual(before);
    for (const id of ids) await expect(insertPromise(client, id)).rejects.toThrow(/duplicate key value violates unique constraint "promises_id_unique"/);
    await insertPromise(client, "short-2");
  });

  it("serves lookups by id, by range and by state from indexes, not table scans", async () => {
    await migrateTo(Math.max(...MIGRATIONS.map((m) => m.version)));
    await client.query("SET enable_seqscan = off");
    const plan = async (sql: string, params: unknown[]) =>
      (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params)).rows.map((row) => row["QUERY PLAN"]).join("\n");
    expect(await plan("SELECT * FROM promises WHERE id = $1", ["a"])).toMatch(/promises_id_lookup/);
    expect(await plan("SELECT * FROM tasks WHERE id = ANY($1::text[])", [["a", "b"]])).toMatch(/tasks_id_lookup/);
    expect(await plan("SELECT * FROM promises WHERE left(id, 512) >= left($1, 512) AND id >= $1 ORDER BY left(id, 512), id LIMIT 10", ["a"])).toMatch(/promises_id_order/);
    expect(await plan("SELECT * FROM tasks WHERE state = 'pending' ORDER BY left(id, 512), id LIMIT 10", [])).toMatch(/tasks_state/);
    expect(await plan("SELECT * FROM callbacks WHERE awaiter = $1", ["a"])).toMatch(/callbacks_awaiter/);
  });
});
