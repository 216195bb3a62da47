import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
for (const sync of ["FULL", "NORMAL"]) {
  const db = new Database(join(mkdtempSync(join(tmpdir(), "f-")), "f.db"));
  db.pragma("journal_mode = WAL"); db.pragma(`synchronous = ${sync}`);
  db.exec("CREATE TABLE p (id TEXT PRIMARY KEY, state TEXT, param TEXT, value TEXT, tags TEXT, timeout_at INTEGER, created_at INTEGER, settled_at INTEGER)");
  const ins = db.prepare("INSERT INTO p VALUES (?, 'resolved', '{}', '{}', '{}', 0, 0, 0)");
  const begin = db.prepare("BEGIN"), commit = db.prepare("COMMIT");
  let t = performance.now();
  for (let i = 0; i < 1000; i++) { begin.run(); ins.run(`a${i}`); commit.run(); }
  const perCommit = 1000 / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let b = 0; b < 200; b++) { begin.run(); for (let i = 0; i < 500; i++) ins.run(`b${b}.${i}`); commit.run(); }
  const group = 100000 / ((performance.now() - t) / 1000);
  console.log(sync, "per-commit", Math.round(perCommit), "group", Math.round(group));
}
