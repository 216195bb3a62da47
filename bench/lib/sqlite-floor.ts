/**
 * The SQLite floor's loop, shared by bench/floors.ts and the W2 rounds paired with it
 * (bench/embedded.ts --paired-floor): bare better-sqlite3 in WAL, one table of step-sized rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { presizeWal } from "../../src/store/sqlite/wal-size.js";

/** A row about the size of a recorded step (id, state, JSON value, tags). */
export const STEP_SIZED_VALUE = JSON.stringify({ state: "resolved", value: { data: "MQ==" }, tags: { "reprise:kind": "run", "reprise:func": "noop" } });

export interface FloorTable {
  /** Inserts `count` rows, one commit each (autocommit); returns rows/s. */
  perRow(count: number): number;
  /** Inserts `count` rows, one commit per `batch` rows; returns rows/s. */
  perBatch(count: number, batch: number): number;
  /** Closes the database and deletes its file. */
  close(): void;
}

/**
 * A fresh file at `sync`. `presized`: its log first given its working size, as Reprise's
 * power-loss store does when it opens (src/store/sqlite/wal-size.ts); without, the log grows
 * with the rows, as a bare loop's does.
 */
export function openFloorTable(sync: string, presized: boolean): FloorTable {
  const dir = mkdtempSync(join(tmpdir(), "reprise-bench-floor-"));
  const path = join(dir, "floor.db");
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${sync}`);
  db.exec("CREATE TABLE rows (id TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL, created_at INTEGER NOT NULL)");
  if (presized) presizeWal(db, path);
  const insert = db.prepare("INSERT INTO rows (id, value, created_at) VALUES (?, ?, ?)");
  let next = 0;
  const grouped = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) insert.run(`r${next++}`, STEP_SIZED_VALUE, Date.now());
  });
  return {
    perRow(count) {
      const started = performance.now();
      for (let i = 0; i < count; i++) insert.run(`r${next++}`, STEP_SIZED_VALUE, Date.now()); // autocommit: one COMMIT each
      return count / ((performance.now() - started) / 1000);
    },
    perBatch(count, batch) {
      const started = performance.now();
      for (let done = 0; done < count; done += batch) grouped(Math.min(batch, count - done));
      return count / ((performance.now() - started) / 1000);
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
