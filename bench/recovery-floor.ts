/**
 * The recovery floor: what the storage alone costs a restart, measured on a copy of the file the
 * recovery section's first process left when it was killed.
 *   node bench/recovery-floor.js --db <copy of the killed process's file>
 * In a fresh process, bare better-sqlite3 at FULL does the least any recovery must do for each
 * execution in flight, in sets: takes every acquired task over in one UPDATE (one commit), reads
 * every taken execution's history in one join, and records each one's next step (multi-row
 * INSERTs, one commit per 500 rows, as the SQLite group-commit floor). No engine, no records
 * decoded, no replay. Prints `BENCH {"type":"result",…}` with the ms from the process's start,
 * as the recovery section counts Reprise's.
 */
import Database from "better-sqlite3";
import { childMain, emit, flag } from "./lib/child.js";

/** Rows per INSERT, and per commit: the group-commit floor's batch. */
const BATCH = 500;
const COLUMNS = "id, state, param, value, tags, timeout_at, created_at, settled_at";
/** A step record's columns as Reprise writes one (an encoded call, an encoded result, a step's tags). */
const STEP_PARAM = JSON.stringify({ headers: {}, data: "eyJmdW5jIjoibWFya2VyIiwiYXJncyI6W10sInZlcnNpb24iOjF9" });
const STEP_VALUE = JSON.stringify({ headers: { "reprise:attempts": "1" }, data: "MQ==" });

childMain(async () => {
  const db = new Database(flag("db")!);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  const holder = "recovery-floor";
  const now = Date.now();
  // Each statement below commits by itself (autocommit): one fsync for the take-over, one per batch of steps.
  const taken = db
    .prepare("UPDATE tasks SET version = version + 1, pid = ?, expires_at = ? WHERE state = 'acquired' RETURNING id")
    .pluck()
    .all(holder, now + 60_000) as string[];
  // Each execution's history: its root and everything under it (ids `${root}.…`), as a preload reads.
  // CROSS JOIN: the tasks drive (SQLite keeps the order), each probing the promises' id index.
  const read = "SELECT p.id, p.state, p.param, p.value, p.tags FROM tasks t CROSS JOIN promises p";
  const history = db
    .prepare(`${read} ON p.id = t.id WHERE t.pid = ? UNION ALL ${read} ON p.id >= t.id || '.' AND p.id < t.id || '/' WHERE t.pid = ?`)
    .raw()
    .all(holder, holder);
  const insert = (rows: number) =>
    db.prepare(`INSERT INTO promises (${COLUMNS}) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")} ON CONFLICT (id) DO NOTHING`);
  const full = insert(BATCH);
  for (let done = 0; done < taken.length; done += BATCH) {
    const ids = taken.slice(done, done + BATCH);
    const values: unknown[] = [];
    for (const id of ids) values.push(`${id}.next`, "resolved", STEP_PARAM, STEP_VALUE, JSON.stringify({ "reprise:kind": "step", "resonate:parent": id }), now + 60_000, now, now);
    const statement = ids.length === BATCH ? full : insert(ids.length);
    statement.run(...values);
  }
  const ms = performance.now();
  db.close();
  emit("result", { executions: taken.length, historyRows: history.length, ms });
  process.exit(0);
});
