/**
 * The floors: what the storage itself costs, measured in the same run as Reprise, in its own process.
 *   node --import tsx bench/floors.ts --kind sqlite --sync FULL|NORMAL --rows 5000 --seq-rows 200 --batch 500 --runs 3
 *   node --import tsx bench/floors.ts --kind pg --url postgres://… --schema s --rows 5000 --seq-rows 200 --batch 500 --runs 3
 *   node --import tsx bench/floors.ts --kind fsync --ops 1000 --runs 3
 * Each figure is the median of up to `--runs` rounds (as many as fit in `--budget-ms`, at least one)
 * after a warm-up of at most 200 rows. Prints `BENCH {"type":"result",…}`, rows/s.
 *
 * - sqlite: bare better-sqlite3, WAL, at the given synchronous: one commit per row (W2-like,
 *   `--seq-rows` rows; W1-like, `--rows` rows), and group commit (one commit per `--batch` rows,
 *   what one commit per event-loop turn gives 500 concurrent workflows at best); and the W2-like
 *   loop again on a file whose log is pre-sized first, as Reprise's is (perRowSeqPresized).
 * - pg: bare `pg`, one connection: one commit per row (autocommit INSERT), and batched (one
 *   multi-row INSERT, hence one commit, per `--batch` rows).
 * - fsync: write 4 KiB at offset 0 and fdatasync, in a loop: the device's durable-write latency.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { childMain, emit, flag, median } from "./lib/child.js";
import { openFloorTable, STEP_SIZED_VALUE } from "./lib/sqlite-floor.js";

const runs = Number(flag("runs", "3"));
const rows = Number(flag("rows", "5000"));
const seqRows = Number(flag("seq-rows", "200"));
const batch = Number(flag("batch", "500"));

/**
 * Rounds of one floor stop once they have taken this long (at least one is measured): on a busy
 * disk a per-row-commit loop can be ten times slower than on a quiet one, and the bench is bounded.
 */
const BUDGET_MS = Number(flag("budget-ms", "20000"));

/** Rows of a warm-up round: enough to warm the JIT and the connection. */
const WARM_UP_ROWS = 200;

/** Median of up to `runs` measurements of `count` rows after one warm-up; each returns rows/s. */
async function medianOf(measure: (count: number) => Promise<number>, count: number): Promise<number> {
  await measure(Math.min(count, WARM_UP_ROWS));
  const started = performance.now();
  const results: number[] = [];
  while (results.length < runs && (results.length === 0 || performance.now() - started < BUDGET_MS)) results.push(await measure(count));
  return median(results);
}

function sqliteFloors(sync: string): Record<string, number> {
  return { ...sqliteFloorsOn(sync, false), perRowSeqPresized: sqliteFloorsOn(sync, true).perRowSeq! };
}

/** The floors on a fresh file (see openFloorTable); `presized` measures the W2-like loop alone. */
function sqliteFloorsOn(sync: string, presized: boolean): Record<string, number> {
  const table = openFloorTable(sync, presized);
  try {
    if (presized) return { perRowSeq: medianSync(table.perRow, seqRows) };
    return { perRowSeq: medianSync(table.perRow, seqRows), perRow: medianSync(table.perRow, rows), grouped: medianSync((count) => table.perBatch(count, batch), rows) };
  } finally {
    table.close();
  }
}

function medianSync(measure: (count: number) => number, count: number): number {
  measure(Math.min(count, WARM_UP_ROWS));
  const started = performance.now();
  const results: number[] = [];
  while (results.length < runs && (results.length === 0 || performance.now() - started < BUDGET_MS)) results.push(measure(count));
  return median(results);
}

async function pgFloors(url: string, schema: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE ${schema}.rows (id TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL, created_at BIGINT NOT NULL)`);
    const sql = `INSERT INTO ${schema}.rows (id, value, created_at) VALUES ($1, $2, $3)`;
    let next = 0;
    const perRow = async (count: number) => {
      const started = performance.now();
      for (let i = 0; i < count; i++) await client.query({ name: "floor-insert", text: sql, values: [`r${next++}`, STEP_SIZED_VALUE, Date.now()] });
      return count / ((performance.now() - started) / 1000);
    };
    const batched = async (count: number) => {
      const started = performance.now();
      for (let done = 0; done < count; done += batch) {
        const n = Math.min(batch, count - done);
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (let i = 0; i < n; i++) {
          tuples.push(`($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`);
          values.push(`r${next++}`, STEP_SIZED_VALUE, Date.now());
        }
        await client.query(`INSERT INTO ${schema}.rows (id, value, created_at) VALUES ${tuples.join(", ")}`, values);
      }
      return count / ((performance.now() - started) / 1000);
    };
    return {
      perRowSeq: await medianOf(perRow, seqRows),
      perRow: await medianOf(perRow, rows),
      grouped: await medianOf(batched, rows),
    };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await client.end();
  }
}

function fsyncFloor(ops: number): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-bench-fsync-"));
  const fd = openSync(join(dir, "fsync.bin"), "w");
  const block = Buffer.alloc(4096, 7);
  try {
    writeSync(fd, block, 0, block.length, 0);
    fdatasyncSync(fd);
    const opsPerSecond = medianSync((count) => {
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        writeSync(fd, block, 0, block.length, 0);
        fdatasyncSync(fd);
      }
      return count / ((performance.now() - started) / 1000);
    }, ops);
    return { opsPerSecond, meanMs: 1000 / opsPerSecond };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

childMain(async () => {
  const kind = flag("kind", "sqlite");
  let figures: Record<string, number>;
  if (kind === "sqlite") figures = sqliteFloors(flag("sync", "NORMAL"));
  else if (kind === "pg") figures = await pgFloors(flag("url", "postgres://postgres@127.0.0.1:5432/test"), flag("schema", "reprise_bench_floor"));
  else if (kind === "fsync") figures = fsyncFloor(Number(flag("ops", "1000")));
  else throw new Error(`unknown --kind ${kind}`);
  emit("result", { figures });
  process.exit(0);
});
