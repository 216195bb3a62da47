/**
 * The deterministic simulation (sim/, docs/simulation.md): thousands of seeds of the real store,
 * engine and workers under seeded faults, every invariant checked on each; a seed replays exactly;
 * and, for each invariant, a planted bug that a seed catches (a simulator that never fails proves
 * nothing).
 */
import { describe, expect, it } from "vitest";
import { PLANTED_BUGS } from "../../sim/bugs.js";
import { INVARIANTS } from "../../sim/invariants.js";
import { planOf, type Plan } from "../../sim/plan.js";
import { findSeedBreaking, runPlan, runSeed, runSeeds, shrink } from "../../sim/run-seeds.js";

/** Seeds per run (memory backend); about 15 s on a 2-core machine shared with other work. */
const MEMORY_SEEDS = 2_000;
const SQLITE_SEEDS = 200;
/** Seeds a planted bug has to be caught within. */
const HUNT = 300;

function summary(failures: Array<{ seed: number; violations: Array<{ invariant: string; detail: string }> }>): string {
  return failures
    .slice(0, 5)
    .map((f) => `seed ${f.seed}: ${f.violations.map((v) => `${v.invariant}: ${v.detail}`).join("; ")} (replay: SIM_SEED=${f.seed} npm run sim)`)
    .join("\n");
}

describe("simulation", () => {
  it(`holds every invariant on ${MEMORY_SEEDS} seeds (memory backend)`, { timeout: 240_000 }, async () => {
    const report = await runSeeds(0, MEMORY_SEEDS, { maxFailures: 5 });
    expect(summary(report.failures)).toBe("");
    expect(report.seeds).toBe(MEMORY_SEEDS);
  });

  it(`holds every invariant on ${SQLITE_SEEDS} seeds (SQLite backend, a temp file per seed)`, { timeout: 240_000 }, async () => {
    const report = await runSeeds(100_000, SQLITE_SEEDS, { backend: "sqlite", maxFailures: 5 });
    expect(summary(report.failures)).toBe("");
    expect(report.seeds).toBe(SQLITE_SEEDS);
  });

  it("replays a seed exactly: the same plan, the same trace", async () => {
    for (const seed of [7, 100, 2354]) {
      const first = await runSeed(seed, { trace: true });
      const second = await runSeed(seed, { trace: true });
      expect(second.trace).toEqual(first.trace);
      expect(first.trace.length).toBeGreaterThan(10);
      expect(planOf(seed)).toEqual(planOf(seed));
    }
  });

  it("passes the seeds that once failed on the simulator's own model (kept as regressions)", async () => {
    // 6615: a clock jump expired a lease mid-step; 29610: a paused holder ran a step after the
    // new holder had; 21983: two step-throws faults exhausted a step's retries.
    for (const seed of [100, 6615, 21983, 29610]) {
      const result = await runSeed(seed);
      expect(result.violations, `seed ${seed}`).toEqual([]);
      expect(result.completed).toBe(result.started);
    }
    // Slow links (up to 3 s one way): the parity oracle once took a refused create's deadline for a timer's.
    const slow = await runPlan(SLOW_NETWORK_PLAN);
    expect(slow.violations).toEqual([]);
  });

  it("injects what the plans say: crashes, pauses, partitions, jumps, throwing steps, lost and doubled messages, refused stale writes, steps run again", async () => {
    const seen = new Map<string, number>();
    const count = (what: string, n: number) => seen.set(what, (seen.get(what) ?? 0) + n);
    let reruns = 0;
    for (let seed = 0; seed < 150; seed++) {
      const result = await runSeed(seed, { trace: true });
      reruns += result.reruns;
      const trace = result.trace.join("\n");
      for (const [what, pattern] of Object.entries(TRACE_MARKS)) count(what, trace.match(pattern)?.length ?? 0);
    }
    for (const what of Object.keys(TRACE_MARKS)) expect(seen.get(what), what).toBeGreaterThan(0);
    expect(reruns).toBeGreaterThan(0);
  });
});

const SLOW_NETWORK_PLAN: Plan = {
  netSeed: 2147483636,
  workers: 1,
  remotes: 2,
  executions: [
    { id: "e0", shape: "sleep", arg: 2, at: 10, via: 0 },
    { id: "e1", shape: "sleep", arg: 1, at: 7, via: 2 },
    { id: "e2", shape: "child", arg: 0, at: 9, via: 0 },
    { id: "f0", shape: "fanout", arg: 0, at: 14601, via: 0 },
    { id: "f1", shape: "sleep", arg: 0, at: 10696, via: 0 },
    { id: "f2", shape: "race", arg: 1, at: 5886, via: 1 },
    { id: "f3", shape: "sequence", arg: 3, at: 8463, via: 0 },
    { id: "f4", shape: "race", arg: 0, at: 4911, via: 1 },
    { id: "f5", shape: "flaky", arg: 2, at: 4632, via: 0 },
    { id: "f6", shape: "sequence", arg: 1, at: 9208, via: 0 },
  ],
  faults: [
    { kind: "clock-jump", at: 10, by: 59992 },
    { kind: "pause-worker", at: 9, worker: 1, for: 2494 },
    { kind: "partition", at: 5, worker: 0, for: 1000 },
    { kind: "pause-worker", at: 7365, worker: 0, for: 8763 },
  ],
  dropPerMille: 6,
  duplicatePerMille: 200,
  maxDelay: 3000,
};

const TRACE_MARKS: Record<string, RegExp> = {
  "worker crash": /CRASH \(kill -9\)/g,
  "store crash": /store crashed/g,
  pause: /PAUSED/g,
  partition: /PARTITIONED/g,
  "clock jump": /JUMPS/g,
  "steps throw": /step call\(s\) THROW/g,
  "lost message": /: lost/g,
  "duplicate execute": /hears execute .*\(duplicate\)/g,
  "stale write refused": /task\.fence .* -> 409/g,
  "lease expired by a tick": /tick: \d+ record/g,
  // Heartbeats run on the simulated clock (Clock.every): a healthy holder keeps its lease.
  heartbeat: /send task\.heartbeat/g,
};

describe("planted bugs: each invariant catches one", () => {
  it("covers every invariant", () => {
    const covered = new Set(Object.values(PLANTED_BUGS).map((bug) => bug.invariant));
    expect([...INVARIANTS].filter((invariant) => !covered.has(invariant))).toEqual([]);
  });

  for (const [name, bug] of Object.entries(PLANTED_BUGS)) {
    it(`${name} (${bug.description}) breaks ${bug.invariant}`, async () => {
      const found = await findSeedBreaking(bug.invariant, 0, HUNT, { bugs: bug.bugs });
      expect(found, `no seed among the first ${HUNT} caught it`).toBeDefined();
      // The same seed without the bug keeps the invariant: the bug is what broke it.
      const clean = await runSeed(found!.seed);
      expect(clean.violations.filter((v) => v.invariant === bug.invariant)).toEqual([]);
    });
  }

  it("shrinks a failing seed to a smaller plan that still fails", { timeout: 120_000 }, async () => {
    const bug = PLANTED_BUGS["strip-preload"]!;
    const found = await findSeedBreaking(bug.invariant, 0, HUNT, { bugs: bug.bugs });
    const original = planOf(found!.seed);
    const smallest = await shrink(found!.seed, { bugs: bug.bugs });
    expect(smallest.violations.some((v) => v.invariant === bug.invariant)).toBe(true);
    const size = (plan: typeof original) => plan.executions.length + plan.faults.length;
    expect(size(smallest.plan)).toBeLessThan(size(original));
  });
});
