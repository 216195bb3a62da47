/**
 * The retention soak, short (the minutes-long run is scripts/soak-retention.ts): executions with a
 * 2 s retention started at a steady 60 a second for 40 s through a real server and worker. Once the first
 * ones go, the store stops growing: the rows it adds over the second half are a small part of what
 * ran then, and its size at the end is about its size after the first window. Sizes are compared with a wide margin; no
 * speed is asserted. PostgreSQL's tables are vacuumed every few seconds, standing in for
 * autovacuum (off on the test machine), which is what reclaims the space of deleted rows there.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { soak, type SoakSample } from "./fixtures/retention-soak.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

const DURATION_MS = Number(process.env.REPRISE_SOAK_SECONDS ?? 40) * 1000;
const OPTIONS = { durationMs: DURATION_MS, retentionMs: 2_000, purgeIntervalMs: 500, sampleEveryMs: 5_000, ratePerSecond: 60 };
const PROMISES_PER_EXECUTION = 5;
const MIB = 1024 * 1024;
const withPostgres = await postgresAvailable();

function total(bytes: Record<string, number>): number {
  return Object.values(bytes).reduce((sum, n) => sum + n, 0);
}

/**
 * The store is flat over the second half of the run, while the executions that ran doubled.
 * (PostgreSQL needs a few vacuums before its indexes and dead rows level off: hence a half.)
 */
function expectFlat(samples: SoakSample[], size: (sample: SoakSample) => number): void {
  const mid = samples.find((sample) => sample.atSeconds >= DURATION_MS / 2000)!;
  const end = samples.at(-1)!;
  console.log(samples.map((s) => `${s.atSeconds}s: ${s.executions} executions, ${s.promises} promises, ${JSON.stringify(s.bytes)}`).join("\n"));
  expect(end.executions).toBeGreaterThan(1.5 * mid.executions);
  // Without retention, every execution finished over the second half would have added its five
  // promises and its finished root. The bound is on what the second half added, not on the total:
  // on a loaded machine the purge runs late by some seconds, and the rows it has yet to reach are
  // there at mid and at end alike (a purge that fell further and further behind would still fail).
  const finishedLater = end.executions - mid.executions;
  expect(end.promises - mid.promises).toBeLessThan(0.5 * PROMISES_PER_EXECUTION * finishedLater);
  expect(end.finishedRoots - mid.finishedRoots).toBeLessThan(0.5 * finishedLater);
  // Without retention the size would grow as the executions did (x1.5 or more from mid to end).
  // With it, the size follows the rows still kept, which a burst late in a loaded run can raise for
  // a while: so the bound scales with what ran, at half the no-retention growth.
  const executionsGrowth = end.executions / mid.executions;
  expect(size(end)).toBeLessThan(size(mid) * (1 + 0.5 * (executionsGrowth - 1)) + MIB);
}

// The two run side by side: the run takes as long as one of them.
describe.concurrent("retention soak", { timeout: DURATION_MS + 60_000 }, () => {
  it("SQLite: the file stops growing once the first executions go", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-soak-"));
    try {
      const samples = await soak({ ...OPTIONS, store: join(dir, "soak.db") });
      expectFlat(samples, (sample) => sample.bytes.file!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(withPostgres)("PostgreSQL: the tables stop growing once the first executions go", async () => {
    const schema = freshSchemaName();
    try {
      const samples = await soak({ ...OPTIONS, store: `${PG_URL}?schema=${schema}`, vacuumEveryMs: 5_000 });
      expectFlat(samples, (sample) => total(sample.bytes));
    } finally {
      await dropSchema(schema);
    }
  });
});
