/**
 * The retention soak, minutes long (test/store/retention-soak.test.ts is the short one in CI):
 * a real server on loopback with a short retention, and a worker starting executions at a steady
 * rate; prints the store's size and rows every sample, for SQLite and then PostgreSQL.
 *
 *   node --import tsx scripts/soak-retention.ts [minutes=5] [rate=100] [retention-ms=5000] [postgres-url]
 *
 * A retention of 0 (kept for ever) shows what the same load does without it.
 * PostgreSQL's tables are vacuumed once a minute, as autovacuum would (autovacuum_naptime); the
 * machine this runs on may have autovacuum off. The PostgreSQL schema is dropped afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { soak, type SoakSample } from "../test/store/fixtures/retention-soak.js";

const minutes = Number(process.argv[2] ?? 5);
const rate = Number(process.argv[3] ?? 100);
const retentionMs = Number(process.argv[4] ?? 5_000);
const pgUrl = process.argv[5] ?? process.env.REPRISE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const options = { durationMs: minutes * 60_000, retentionMs, purgeIntervalMs: 1_000, sampleEveryMs: 30_000, ratePerSecond: rate };

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
const line = (s: SoakSample) =>
  `${String(s.atSeconds).padStart(6)} s  ${String(s.executions).padStart(7)} executions  ${String(s.promises).padStart(6)} promises  ${String(s.finishedRoots).padStart(5)} finished roots  ` +
  Object.entries(s.bytes).map(([name, bytes]) => `${name} ${kib(bytes)}`).join(", ");

console.log(`retention ${options.retentionMs} ms, purge every ${options.purgeIntervalMs} ms, ${rate} executions/s for ${minutes} min`);

const dir = mkdtempSync(join(tmpdir(), "reprise-soak-"));
try {
  console.log("SQLite");
  await soak({ ...options, store: join(dir, "soak.db"), onSample: (s) => console.log(line(s)) });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const schema = `reprise_soak_${Date.now()}`;
try {
  console.log("PostgreSQL (VACUUM every 60 s)");
  await soak({ ...options, store: `${pgUrl}?schema=${schema}`, vacuumEveryMs: 60_000, onSample: (s) => console.log(line(s)) });
} finally {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}
