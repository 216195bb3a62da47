/**
 * The SQLite schema, built by numbered migrations: `PRAGMA user_version` says how many have run.
 * A migration is appended, never edited, once released.
 *
 * Every due-query and search has its index: pending promises by timeout (partial), tasks by
 * expiry (partial, pending and acquired only), schedules by next run, callbacks by awaited and by
 * awaiter, and ids (the primary keys) for ordered, paged searches and prefix ranges.
 */
import type Database from "better-sqlite3";

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE promises (
    id TEXT NOT NULL PRIMARY KEY,
    state TEXT NOT NULL,
    param TEXT NOT NULL,
    value TEXT NOT NULL,
    tags TEXT NOT NULL,
    timeout_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    settled_at INTEGER,
    idempotency_key_for_create TEXT,
    idempotency_key_for_complete TEXT
  );
  CREATE INDEX promises_pending_by_timeout ON promises (timeout_at, id) WHERE state = 'pending';
  CREATE INDEX promises_by_state ON promises (state, id);

  CREATE TABLE callbacks (
    seq INTEGER PRIMARY KEY,
    awaited TEXT NOT NULL,
    awaiter TEXT NOT NULL,
    UNIQUE (awaited, awaiter)
  );
  CREATE INDEX callbacks_by_awaiter ON callbacks (awaiter);

  CREATE TABLE listeners (
    seq INTEGER PRIMARY KEY,
    awaited TEXT NOT NULL,
    address TEXT NOT NULL,
    UNIQUE (awaited, address)
  );

  CREATE TABLE tasks (
    id TEXT NOT NULL PRIMARY KEY,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    resumes TEXT NOT NULL,
    ttl INTEGER,
    pid TEXT,
    expires_at INTEGER
  );
  CREATE INDEX tasks_due_by_expiry ON tasks (expires_at, id) WHERE state IN ('pending', 'acquired');
  CREATE INDEX tasks_by_state ON tasks (state, id);

  CREATE TABLE schedules (
    id TEXT NOT NULL PRIMARY KEY,
    cron TEXT NOT NULL,
    promise_id TEXT NOT NULL,
    promise_timeout INTEGER NOT NULL,
    promise_param TEXT NOT NULL,
    promise_tags TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    next_run_at INTEGER NOT NULL,
    last_run_at INTEGER
  );
  CREATE INDEX schedules_by_next_run ON schedules (next_run_at, id);
  `,
  // Every step moves a promise from pending to resolved; an index over every state rewrote a page
  // of it on each step (a third of a commit's cost). Searches by state now use the pending index,
  // this one for the failure states, and the primary key (in id order) for resolved.
  `
  DROP INDEX promises_by_state;
  CREATE INDEX promises_failed_by_state ON promises (state, id) WHERE state IN ('rejected', 'rejected_canceled', 'rejected_timedout');
  `,
  // Releases of a task since its last progress: re-delivery backs off from the second (kernel/task-states.ts).
  `
  ALTER TABLE tasks ADD COLUMN releases INTEGER NOT NULL DEFAULT 0;
  `,
  // Flow control (kernel/flow.ts): declared limits, one state row per function and key (its
  // running count and recent starts), and the tasks queued for room, in the order they start.
  `
  CREATE TABLE flow_limits (
    grp TEXT NOT NULL,
    func TEXT NOT NULL,
    declaration TEXT NOT NULL,
    PRIMARY KEY (grp, func)
  );
  CREATE TABLE flow_rows (
    id TEXT NOT NULL PRIMARY KEY,
    grp TEXT NOT NULL,
    func TEXT NOT NULL,
    key TEXT NOT NULL,
    running INTEGER NOT NULL,
    starts TEXT NOT NULL,
    wake_at INTEGER
  );
  CREATE INDEX flow_rows_due ON flow_rows (wake_at, id) WHERE wake_at IS NOT NULL;
  CREATE TABLE flow_queue (
    seq INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL UNIQUE,
    flow_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    func TEXT NOT NULL,
    priority INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    address TEXT NOT NULL
  );
  CREATE INDEX flow_queue_order ON flow_queue (flow_id, priority DESC, created_at, seq);
  `,
  // Retention (kernel/retention.ts): a row per finished execution root, written when it settles.
  // The purge finds due roots by purge_at, and `reprise purge --older-than` by settled_at; a root
  // kept for ever has no purge_at. Roots that finished before this migration are kept until purged
  // by hand (their retention was never decided): they get a row without purge_at.
  `
  CREATE TABLE finished_roots (
    id TEXT NOT NULL PRIMARY KEY,
    settled_at INTEGER NOT NULL,
    purge_at INTEGER
  );
  CREATE INDEX finished_roots_by_purge_at ON finished_roots (purge_at, id) WHERE purge_at IS NOT NULL;
  CREATE INDEX finished_roots_by_settled_at ON finished_roots (settled_at, id);
  INSERT INTO finished_roots (id, settled_at)
    SELECT id, COALESCE(settled_at, timeout_at) FROM promises
    WHERE state <> 'pending' AND (
      json_extract(tags, '$."reprise:kind"') = 'root' OR (
        json_extract(tags, '$."reprise:kind"') IS NULL
        AND json_extract(tags, '$."resonate:target"') IS NOT NULL
        AND json_extract(tags, '$."resonate:scope"') = 'global'
        AND COALESCE(json_extract(tags, '$."resonate:origin"'), id) = id));
  `,
];

/** Brings the schema up to date. Safe when several processes open the same file at once. */
export function migrate(db: Database.Database): void {
  // IMMEDIATE: the second process waits here, then finds the work done.
  db.exec("BEGIN IMMEDIATE");
  try {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`The database schema is version ${current}; this Reprise knows up to ${MIGRATIONS.length}. Upgrade Reprise.`);
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
    db.exec("COMMIT");
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
