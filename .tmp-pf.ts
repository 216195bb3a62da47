import Database from "better-sqlite3";
const db = new Database(":memory:");
db.exec("CREATE TABLE promises (id TEXT PRIMARY KEY, state TEXT, param TEXT, value TEXT, tags TEXT, timeout_at INTEGER, created_at INTEGER, settled_at INTEGER, k1 TEXT, k2 TEXT)");
const ins = db.prepare("INSERT INTO promises VALUES (?, 'pending', '{}', '{}', '{\"a\":\"b\"}', 0, 0, NULL, NULL, NULL)");
for (let i = 0; i < 20000; i++) ins.run(`wf-${i}`);
const ids = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `wf-${i * 7}` : `wf-${i * 7}.1`));
const one = db.prepare("SELECT * FROM promises WHERE id = ?");
const many = db.prepare("SELECT p.* FROM json_each(?) j JOIN promises p ON p.id = j.value");
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  for (let k = 0; k < 100; k++) for (const id of ids) one.get(id);
  const a = performance.now() - t;
  t = performance.now();
  for (let k = 0; k < 100; k++) many.all(JSON.stringify(ids));
  const b = performance.now() - t;
  console.log("per-id µs/id", (a * 1000 / 100000).toFixed(2), "json_each µs/id", (b * 1000 / 100000).toFixed(2));
}
