/**
 * Versioned schema migrations. Each server applies the missing ones on open, in one transaction
 * that holds a per-schema advisory lock, so replicas starting together neither race nor apply a
 * migration twice.
 */
import type { PoolClient } from "pg";
import { quoteIdentifier } from "./identifiers.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The btree-indexed prefix of an id (migration 4): 512 characters are at most 2 KiB, inside a
 * btree entry. Queries that order or range over ids name it exactly so, to use those indexes.
 */
export const ORDERED_ID = "left(id, 512)";

/** The arbiter of an insert's ON CONFLICT on promises, tasks and schedules (migration 4). */
export const ID_CONFLICT = "(reprise_id_hash(id))";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "promises, callbacks, listeners, tasks, schedules",
    // Ids use the "C" collation: ordering is bytewise (as in SQLite and JS for BMP text), and the
    // primary-key btree then serves id-prefix range scans without a text_pattern_ops index.
    // Payloads and tags are JSON kept as text, so a record reads back exactly as written (jsonb
    // reorders keys and refuses \u0000 and lone surrogates); a GIN index over
    // reprise_searchable(tags) answers tag containment (`@>`) searches.
    sql: `
      -- Tags as jsonb for searching. The escapes jsonb refuses become U+FFFD (same length, still
      -- valid JSON), so no tag value can make an insert fail; both sides of a search go through it.
      CREATE FUNCTION reprise_searchable(json_text text) RETURNS jsonb
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT regexp_replace(json_text, '\\\\u(0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})', '\\\\ufffd', 'g')::jsonb $$;

      CREATE TABLE promises (
        id text COLLATE "C" PRIMARY KEY,
        state text NOT NULL
          CHECK (state IN ('pending', 'resolved', 'rejected', 'rejected_canceled', 'rejected_timedout')),
        param text NOT NULL,
        value text NOT NULL,
        tags text NOT NULL,
        timeout_at bigint NOT NULL,
        created_at bigint NOT NULL,
        settled_at bigint,
        idempotency_key_for_create text,
        idempotency_key_for_complete text
      );
      CREATE INDEX promises_pending_timeout ON promises (timeout_at, id) WHERE state = 'pending';
      CREATE INDEX promises_state ON promises (state, id);
      CREATE INDEX promises_tags ON promises USING gin (reprise_searchable(tags) jsonb_path_ops);

      -- seq keeps registration order, so awaiters are resumed in the order they subscribed.
      CREATE TABLE callbacks (
        awaited text COLLATE "C" NOT NULL,
        awaiter text COLLATE "C" NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (awaited, awaiter)
      );
      CREATE INDEX callbacks_awaiter ON callbacks (awaiter);

      CREATE TABLE listeners (
        awaited text COLLATE "C" NOT NULL,
        address text NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (awaited, address)
      );

      CREATE TABLE tasks (
        id text COLLATE "C" PRIMARY KEY,
        state text NOT NULL
          CHECK (state IN ('pending', 'acquired', 'suspended', 'halted', 'fulfilled')),
        version integer NOT NULL,
        resumes text[] NOT NULL,
        ttl bigint,
        pid text,
        expires_at bigint
      );
      CREATE INDEX tasks_due ON tasks (expires_at, id) WHERE state IN ('pending', 'acquired');
      CREATE INDEX tasks_state ON tasks (state, id);

      CREATE TABLE schedules (
        id text COLLATE "C" PRIMARY KEY,
        cron text NOT NULL,
        promise_id text NOT NULL,
        promise_timeout bigint NOT NULL,
        promise_param text NOT NULL,
        promise_tags text NOT NULL,
        created_at bigint NOT NULL,
        next_run_at bigint NOT NULL,
        last_run_at bigint
      );
      CREATE INDEX schedules_next_run ON schedules (next_run_at, id);
    `,
  },
  {
    version: 2,
    name: "callbacks and listeners keyed by hashes of their two ids",
    // A btree entry holds at most ~2,700 bytes; two ids of 2,048 characters (or an id and an
    // address) do not fit, so the pair's uniqueness is kept on their md5s (32 bytes each) and the
    // lookups by awaited get an index of their own (the primary key used to serve them).
    sql: `
      ALTER TABLE callbacks DROP CONSTRAINT callbacks_pkey;
      CREATE UNIQUE INDEX callbacks_pair ON callbacks (md5(awaited), md5(awaiter));
      CREATE INDEX callbacks_awaited ON callbacks (awaited);
      ALTER TABLE listeners DROP CONSTRAINT listeners_pkey;
      CREATE UNIQUE INDEX listeners_pair ON listeners (md5(awaited), md5(address));
      CREATE INDEX listeners_awaited ON listeners (awaited);
    `,
  },
  {
    version: 3,
    name: "tasks count releases since their last progress",
    // Re-delivery of a task released again and again backs off on this count (kernel/task-states.ts).
    sql: `ALTER TABLE tasks ADD COLUMN releases integer NOT NULL DEFAULT 0;`,
  },
  {
    version: 4,
    name: "ids of any script at full length: unique by hash, found by a hash index, ordered by a prefix",
    // A btree entry holds at most ~2,700 bytes, and an id of 2,048 characters takes up to 6 KiB
    // (3-byte characters; an astral character is 2 of the 2,048 UTF-16 units and 4 bytes): an id
    // of ~900 CJK characters failed its insert ("index row size exceeds btree maximum"). So no
    // btree holds a whole id any more:
    //   - uniqueness (and the ON CONFLICT arbiter) is a btree over reprise_id_hash(id), a SHA-256;
    //   - lookups by id (=, = ANY, joins) use a hash index on id, which stores 4-byte hash codes
    //     and rechecks the id itself, so they stay exact;
    //   - order and range scans use a btree over ORDERED_ID, the first 512 characters (at most
    //     2 KiB): queries order by (ORDERED_ID, id) and bound ORDERED_ID, which truncation keeps
    //     monotonic under the "C" collation, and compare id itself for the exact answer;
    //   - the due indexes keep their time alone (ties are sorted by id over the few due rows).
    // Callbacks and listeners find rows by awaited/awaiter with hash indexes too; their pair keys
    // are already hashes (version 2).
    sql: `
      CREATE FUNCTION reprise_id_hash(id text) RETURNS bytea
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT sha256(convert_to(id, 'UTF8')) $$;

      ${keyedByHash("promises")}
      DROP INDEX promises_pending_timeout;
      CREATE INDEX promises_pending_timeout ON promises (timeout_at) WHERE state = 'pending';
      DROP INDEX promises_state;
      CREATE INDEX promises_state ON promises (state, ${ORDERED_ID});

      ${keyedByHash("tasks")}
      DROP INDEX tasks_due;
      CREATE INDEX tasks_due ON tasks (expires_at) WHERE state IN ('pending', 'acquired');
      DROP INDEX tasks_state;
      CREATE INDEX tasks_state ON tasks (state, ${ORDERED_ID});

      ${keyedByHash("schedules")}
      DROP INDEX schedules_next_run;
      CREATE INDEX schedules_next_run ON schedules (next_run_at);

      DROP INDEX callbacks_awaited;
      CREATE INDEX callbacks_awaited ON callbacks USING hash (awaited);
      DROP INDEX callbacks_awaiter;
      CREATE INDEX callbacks_awaiter ON callbacks USING hash (awaiter);
      DROP INDEX listeners_awaited;
      CREATE INDEX listeners_awaited ON listeners USING hash (awaited);
    `,
  },
  {
    version: 5,
    name: "flow control: declared limits, state rows per function and key, queued tasks",
    // Self-contained (kernel/flow.ts): ids can be long, so uniqueness and lookups are on md5s; the
    // queue's index holds its order (priority, then age, then arrival).
    sql: `
      CREATE TABLE flow_limits (
        id text NOT NULL,
        declaration text NOT NULL
      );
      CREATE UNIQUE INDEX flow_limits_id ON flow_limits (md5(id));

      CREATE TABLE flow_rows (
        id text NOT NULL,
        grp text NOT NULL,
        func text NOT NULL,
        key text NOT NULL,
        running integer NOT NULL,
        starts text NOT NULL,
        wake_at bigint
      );
      CREATE UNIQUE INDEX flow_rows_id ON flow_rows (md5(id));
      CREATE INDEX flow_rows_due ON flow_rows (wake_at) WHERE wake_at IS NOT NULL;

      CREATE TABLE flow_queue (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        task_id text NOT NULL,
        flow_id text NOT NULL,
        grp text NOT NULL,
        func text NOT NULL,
        priority integer NOT NULL,
        created_at bigint NOT NULL,
        version integer NOT NULL,
        address text NOT NULL
      );
      CREATE UNIQUE INDEX flow_queue_task ON flow_queue (md5(task_id));
      CREATE INDEX flow_queue_order ON flow_queue (md5(flow_id), priority DESC, created_at, seq);
    `,
  },
  {
    version: 6,
    name: "finished execution roots, for retention",
    // A row per finished execution root, written when it settles (kernel/retention.ts): the purge
    // finds due roots by purge_at, `reprise purge --older-than` by settled_at; a root kept for ever
    // has no purge_at. Roots that finished before this migration are kept until purged by hand.
    // Ids are keyed by hash as in version 4 (an id may pass a btree entry's size).
    sql: `
      CREATE TABLE finished_roots (
        id text COLLATE "C" NOT NULL,
        settled_at bigint NOT NULL,
        purge_at bigint
      );
      CREATE UNIQUE INDEX finished_roots_id_unique ON finished_roots (reprise_id_hash(id));
      CREATE INDEX finished_roots_id_lookup ON finished_roots USING hash (id);
      CREATE INDEX finished_roots_purge_at ON finished_roots (purge_at) WHERE purge_at IS NOT NULL;
      CREATE INDEX finished_roots_settled_at ON finished_roots (settled_at);
      INSERT INTO finished_roots (id, settled_at)
        SELECT id, COALESCE(settled_at, timeout_at) FROM promises, LATERAL (SELECT reprise_searchable(tags) AS t) AS parsed
        WHERE state <> 'pending' AND (
          parsed.t ->> 'reprise:kind' = 'root' OR (
            parsed.t ->> 'reprise:kind' IS NULL
            AND parsed.t ->> 'resonate:target' IS NOT NULL
            AND parsed.t ->> 'resonate:scope' = 'global'
            AND COALESCE(parsed.t ->> 'resonate:origin', id) = id));
    `,
  },
  {
    version: 7,
    name: "the check of a speculative write",
    // A speculative transaction's one statement (write-behind.ts `flushStatement`) calls this with the
    // rows it decided from: each is locked, promises then tasks, in the order given (id order, as
    // every transaction locks), and must still be at the revision (xmin) it was read at, or still
    // be missing where the revision is NULL. Otherwise a serialization failure aborts the statement
    // with everything it wrote, and tells the backend to run the transaction the ordinary way.
    // One primary-key read per row, not a join: a join's plan, cached on a small new table, scans
    // the table for ever after as it grows, and this statement runs for every step.
    sql: `
      CREATE FUNCTION reprise_unchanged_rows(promise_ids text[], promise_revs xid[], task_ids text[], task_revs xid[])
        RETURNS boolean LANGUAGE plpgsql VOLATILE
        AS $$
        DECLARE
          found_rev xid;
        BEGIN
          FOR i IN 1 .. coalesce(array_length(promise_ids, 1), 0) LOOP
            found_rev := NULL;
            SELECT xmin INTO found_rev FROM promises WHERE id = promise_ids[i] FOR UPDATE;
            IF found_rev IS DISTINCT FROM promise_revs[i] THEN
              RAISE EXCEPTION 'reprise: promise % changed since this server last saw it', promise_ids[i]
                USING ERRCODE = 'serialization_failure';
            END IF;
          END LOOP;
          FOR i IN 1 .. coalesce(array_length(task_ids, 1), 0) LOOP
            found_rev := NULL;
            SELECT xmin INTO found_rev FROM tasks WHERE id = task_ids[i] FOR UPDATE;
            IF found_rev IS DISTINCT FROM task_revs[i] THEN
              RAISE EXCEPTION 'reprise: task % changed since this server last saw it', task_ids[i]
                USING ERRCODE = 'serialization_failure';
            END IF;
          END LOOP;
          RETURN true;
        END
        $$;
    `,
  },
  {
    version: 8,
    name: "the id hash in PL/pgSQL",
    // PostgreSQL (15) inlines an SQL function only if its body is no more volatile than the
    // function, and convert_to is stable: so every statement that inserted into a table keyed by
    // reprise_id_hash parsed and planned its body again (about 50 µs; a lone step's insert is one
    // such statement). PL/pgSQL keeps its compiled body for the session. Same bytes, same hash:
    // the indexes built on it stay valid.
    sql: `
      CREATE OR REPLACE FUNCTION reprise_id_hash(id text) RETURNS bytea
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ BEGIN RETURN sha256(convert_to(id, 'UTF8')); END $$;
    `,
  },
];

/** Creates `schema` if missing and applies every migration it has not seen yet. */
export async function migrate(client: PoolClient, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  const quoted = quoteIdentifier(schema);
  await client.query("BEGIN");
  try {
    // Held until COMMIT: a second server opening the same schema waits here, then finds the work done.
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`reprise_migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`SET LOCAL search_path TO ${quoted}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS reprise_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const applied = await client.query<{ version: number }>("SELECT version FROM reprise_migrations");
    const done = new Set(applied.rows.map((row) => row.version));
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const unknown = [...done].filter((version) => version > newest);
    if (unknown.length > 0) {
      throw new Error(
        `PostgreSQL schema ${quoted} has migration ${Math.max(...unknown)}, newer than this Reprise knows (${newest}); upgrade Reprise`,
      );
    }
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO reprise_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Migration 4 for one table: its primary key becomes a unique hash, a hash index for lookups, and an ordered prefix. */
function keyedByHash(table: string): string {
  return `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey;
      CREATE UNIQUE INDEX ${table}_id_unique ON ${table} (reprise_id_hash(id));
      CREATE INDEX ${table}_id_lookup ON ${table} USING hash (id);
      CREATE INDEX ${table}_id_order ON ${table} (${ORDERED_ID});`;
}
