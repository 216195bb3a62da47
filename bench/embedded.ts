/**
 * One embedded-SQLite configuration in its own process:
 *   node --import tsx bench/embedded.ts --sync FULL|NORMAL --workflows 500 --steps 10 --runs 3 --budget-ms 120000
 *     [--determinism off|warn|error]   the determinism guard (default off, as in production)
 *     [--paired-floor]                 each measured round paired with a round of the floor
 * Warm-up rounds (see WARM_UP; `--warm-up-steps`, `--warm-up-ms`), then up to `--runs` measured
 * rounds (see anotherRound), each on a fresh SQLite file (so no round reads a table another round filled). Prints `BENCH {"type":"result","rounds":[…]}`.
 *
 * `--paired-floor`: each measured round is followed (or, every other time, preceded) by a round
 * of the one-commit-per-row floor at the same synchronous, as many rows as the round has steps,
 * on a fresh file whose log is pre-sized as Reprise's is (bench/lib/sqlite-floor.ts). The two
 * take turns within a second, so a change in the disk's speed falls on both: measured in two runs
 * forty minutes apart on 2026-12-02, the floor read 3,644 and 1,564 rows/s.
 * The floor's rounds are printed as `floorRounds`.
 */
import { childMain, emit, flag } from "./lib/child.js";
import { openFloorTable } from "./lib/sqlite-floor.js";
import { embeddedRound, measureRounds, warmUpFrom, warmUpWith, type Determinism, type RoundFigures, type Sync } from "./lib/workload.js";

childMain(async () => {
  const sync = flag("sync", "NORMAL") as Sync;
  const determinism = flag("determinism", "off") as Determinism;
  if (!["off", "warn", "error"].includes(determinism)) throw new Error(`--determinism: expected off, warn or error, got ${determinism}`);
  const workload = { workflows: Number(flag("workflows", "500")), steps: Number(flag("steps", "10")) };
  const runs = Number(flag("runs", "3"));
  const budgetMs = Number(flag("budget-ms", "120000"));
  const round = (n: number) => embeddedRound(workload, sync, `w-${n}`, determinism);
  if (process.argv.includes("--paired-floor")) {
    emit("result", await pairedWithFloor(round, sync, workload.workflows * workload.steps, runs, budgetMs));
  } else {
    emit("result", await measureRounds(warmUpFrom(flag), runs, budgetMs, round));
  }
  process.exit(0);
});

/** Warm-up rounds, then `runs` measured rounds each paired with a floor round of `steps` rows (within `budgetMs`, at least one pair). */
async function pairedWithFloor(
  round: (n: number) => Promise<RoundFigures>,
  sync: Sync,
  steps: number,
  runs: number,
  budgetMs: number,
): Promise<{ rounds: RoundFigures[]; floorRounds: RoundFigures[]; warmUpRounds: RoundFigures[] }> {
  const warmUpRounds = await warmUpWith(warmUpFrom(flag), round);
  floorRound(sync, steps); // its statement and file handling warmed once too
  const rounds: RoundFigures[] = [];
  const floorRounds: RoundFigures[] = [];
  const started = Date.now();
  for (let pair = 0; pair < runs && (pair === 0 || Date.now() - started < budgetMs); pair++) {
    // Alternating which goes first, so neither always follows the other's writes.
    if (pair % 2 === 1) floorRounds.push(floorRound(sync, steps));
    rounds.push(await round(warmUpRounds.length + pair));
    if (pair % 2 === 0) floorRounds.push(floorRound(sync, steps));
  }
  return { rounds, floorRounds, warmUpRounds };
}

function floorRound(sync: Sync, rows: number): RoundFigures {
  const table = openFloorTable(sync, true);
  try {
    const startedAt = Date.now();
    const rowsPerSecond = table.perRow(rows);
    return { seconds: rows / rowsPerSecond, steps: rows, stepsPerSecond: rowsPerSecond, startedAt, endedAt: Date.now() };
  } finally {
    table.close();
  }
}
