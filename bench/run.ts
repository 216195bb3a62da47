/**
 * `npm run bench`: every benchmark, printed as tables and as one JSON line.
 * `npm run bench -- --quick` skips the PostgreSQL and server runs.
 */
import { join } from "node:path";
import { benchConcurrent, benchSequential } from "./engine.js";
import { benchServer } from "./server.js";
import { benchStore } from "./store.js";

const quick = process.argv.includes("--quick");
const PG_URL = process.env.REPRISE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const all: Record<string, unknown> = {};

console.log("Durability: SQLite WAL with synchronous=NORMAL unless a row says FULL; PostgreSQL with its defaults (synchronous_commit=on).\n");

const seq = await benchSequential(1000);
const conc = await benchConcurrent(500, 10);
const engine = [
  { benchmark: "embedded SQLite: 1 workflow x 1,000 sequential steps", "steps/s": round(seq.stepsPerSecond, 0), "mean step ms": round(seq.meanStepLatencyMs, 3) },
  { benchmark: "embedded SQLite: 500 concurrent workflows x 10 steps", "steps/s": round(conc.stepsPerSecond, 0), "mean step ms": round(conc.meanStepLatencyMs, 3) },
];
console.log("Durable steps through the SDK (each step = a create and a settle, committed before the next step); median of 3 runs after a warm-up");
console.table(engine);
all.engine = engine;

const store = await benchStore();
console.log("The store alone: promise create+settle pairs per second");
console.table(store);
all.store = store;

if (!quick) {
  const servers = [await benchServer("SQLite", (dir) => join(dir, "server.db"))];
  try {
    servers.push(await benchServer("PostgreSQL", () => `${PG_URL}?schema=reprise_bench_${Date.now()}`));
  } catch (error) {
    console.log(`PostgreSQL server run skipped: ${(error as Error).message}`);
  }
  const rows = servers.map((s) => ({
    benchmark: `server on ${s.store}: 1 HTTP worker, ${s.steps} sequential steps`,
    "steps/s": round(s.stepsPerSecond, 0),
    "mean step ms": round(s.meanStepLatencyMs, 2),
    "steps/s, 100 workflows at once": round(s.concurrentStepsPerSecond, 0),
    [`failover ms (lease ${s.leaseTtlMs} ms)`]: s.failoverMs,
  }));
  console.log("The server path, and the time from a worker's SIGKILL to another worker resuming its workflow");
  console.table(rows);
  all.server = rows;
}

console.log(JSON.stringify(all));
process.exit(0);
