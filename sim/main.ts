/**
 * `npm run sim -- --seeds 10000 [--first 0] [--backend memory|sqlite] [--bug name]`: runs that many seeds and
 * prints seeds/s and every failing seed. `SIM_SEED=123 npm run sim`: replays one seed, prints its
 * plan, its event trace and what it broke, then the plan fast-check shrank it to.
 */
import { parseArgs } from "node:util";
import { PLANTED_BUGS } from "./bugs.js";
import { planOf } from "./plan.js";
import { runPlan, runSeed, runSeeds, shrink } from "./run-seeds.js";
import type { BackendKind } from "./store-node.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "10000" },
    first: { type: "string", default: "0" },
    backend: { type: "string", default: "memory" },
    "no-shrink": { type: "boolean", default: false },
    bug: { type: "string" },
  },
});

// A planted bug (sim/bugs.ts), to see what a failure looks like: `--bug skip-lease-fence`.
const planted = values.bug === undefined ? undefined : PLANTED_BUGS[values.bug];
if (values.bug !== undefined && !planted) {
  console.error(`--bug: expected one of ${Object.keys(PLANTED_BUGS).join(", ")}, got ${values.bug}`);
  process.exit(2);
}
const bugs = planted?.bugs;

const backend = values.backend as BackendKind;
if (backend !== "memory" && backend !== "sqlite") {
  console.error(`--backend: expected memory or sqlite, got ${String(values.backend)}`);
  process.exit(2);
}

async function replay(seed: number): Promise<number> {
  console.log(`seed ${seed}: plan ${JSON.stringify(planOf(seed))}\n`);
  const result = await runSeed(seed, { backend, bugs, trace: true });
  for (const line of result.trace) console.log(line);
  console.log(`\n${result.events} events, ${(result.virtualMs / 1000).toFixed(1)} s simulated, ${result.completed}/${result.started} executions completed`);
  if (result.violations.length === 0) {
    console.log("no invariant broken");
    return 0;
  }
  for (const v of result.violations) console.log(`BROKEN ${v.invariant} at ${(v.at / 1000).toFixed(3)}s: ${v.detail}`);
  if (!values["no-shrink"]) {
    const smallest = await shrink(seed, { backend, bugs });
    console.log(`\nshrunk plan: ${JSON.stringify(smallest.plan)}`);
    const shrunk = await runPlan(smallest.plan, { backend, bugs, trace: true });
    for (const line of shrunk.trace) console.log(line);
    for (const v of shrunk.violations) console.log(`BROKEN ${v.invariant} at ${(v.at / 1000).toFixed(3)}s: ${v.detail}`);
  }
  return 1;
}

async function many(): Promise<number> {
  const count = Number(values.seeds);
  const first = Number(values.first);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--seeds: expected a positive integer, got ${values.seeds}`);
  if (!Number.isInteger(first) || first < 0) throw new Error(`--first: expected a non-negative integer, got ${values.first}`);
  let last = performance.now();
  const report = await runSeeds(first, count, {
    backend,
    bugs,
    onSeed: (seed, result) => {
      for (const v of result.violations) console.log(`seed ${seed} FAILED ${v.invariant}: ${v.detail}`);
      if (performance.now() - last > 5_000) {
        last = performance.now();
        console.log(`… seed ${seed}`);
      }
    },
  });
  const rate = report.seeds / (report.ms / 1000);
  console.log(`${report.seeds} seeds (${backend}) in ${(report.ms / 1000).toFixed(1)} s: ${rate.toFixed(1)} seeds/s, ${Math.round(report.events / report.seeds)} events/seed`);
  if (report.failures.length === 0) {
    console.log("no invariant broken");
    return 0;
  }
  console.log(`${report.failures.length} failing seed(s): ${report.failures.map((f) => f.seed).join(", ")} — replay one with SIM_SEED=<seed> npm run sim`);
  return 1;
}

const seed = process.env.SIM_SEED;
const code = seed !== undefined && seed !== "" ? await replay(Number(seed)) : await many();
process.exit(code);
