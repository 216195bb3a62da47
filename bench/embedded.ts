/**
 * One embedded-SQLite configuration in its own process:
 *   node --import tsx bench/embedded.ts --sync FULL|NORMAL --workflows 500 --steps 10 --runs 3 --budget-ms 120000
 *     [--determinism off|warn|error]   the determinism guard (default off, as in production)
 * Warm-up rounds (see WARM_UP; `--warm-up-steps`, `--warm-up-ms`), then up to `--runs` measured
 * rounds (see anotherRound), each on a fresh SQLite file (so no round reads a table another round filled). Prints `BENCH {"type":"result","rounds":[…]}`.
 */
import { childMain, emit, flag } from "./lib/child.js";
import { embeddedRound, measureRounds, warmUpFrom, type Determinism, type Sync } from "./lib/workload.js";

childMain(async () => {
  const sync = flag("sync", "NORMAL") as Sync;
  const determinism = flag("determinism", "off") as Determinism;
  if (!["off", "warn", "error"].includes(determinism)) throw new Error(`--determinism: expected off, warn or error, got ${determinism}`);
  const workload = { workflows: Number(flag("workflows", "500")), steps: Number(flag("steps", "10")) };
  const runs = Number(flag("runs", "3"));
  const budgetMs = Number(flag("budget-ms", "120000"));
  const { rounds, warmUpRounds } = await measureRounds(warmUpFrom(flag), runs, budgetMs, (round) => embeddedRound(workload, sync, `w-${round}`, determinism));
  emit("result", { rounds, warmUpRounds });
  process.exit(0);
});
