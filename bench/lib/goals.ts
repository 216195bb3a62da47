/**
 * The speed goals (issue 9), each judged by the figures and floors of the run that prints them,
 * so that a run says by itself which goals it meets. A goal stated against a peer the bench
 * cannot run (Restate) is translated, as the issue asks, through that peer's ratio to a floor in
 * the issue's table, applied to the floor this run measured.
 */

/** The issue's table (one machine, one day): Restate's figures and the floors measured beside them. */
const ISSUE_TABLE = {
  restateW1: 1_423,
  restateW2: 423,
  /** Bare better-sqlite3 at FULL, one commit per row: W1-like and W2-like. */
  sqliteFloorW1: 3_400,
  sqliteFloorW2: 2_056,
  /** fdatasync of 4 KiB, one stream. */
  fsyncPerSecond: 6_300,
} as const;

export interface GoalInputs {
  /** Embedded W1 at FULL and @resonatehq/sdk's local mode, medians of the same turns. */
  w1InTurns?: { reprise: number; resonate: number };
  /** Embedded W2 at FULL and its floor, medians of the same pairs of rounds. */
  w2Paired?: { reprise: number; floor: number };
  /** This run's SQLite FULL floors: one commit per row, W1-like (`perRow`) and W2-like (`perRowSeq`). */
  sqliteFull?: { perRow?: number; perRowSeq?: number };
  fsyncPerSecond?: number;
  /** Server on PostgreSQL: one worker (W1, W2), and 2 servers + 4 workers (W1). */
  postgres?: { w1?: number; w2?: number; clusterW1?: number };
  /** The sleepers section, when it ran with the goal's count. */
  sleepers?: { embedded?: { seconds: number; rssMiB: number }; server?: { seconds: number; serverRssMiB: number; workerRssMiB: number } };
  /** The recovery section, when it ran with the goal's count: ms from the fresh process's start. */
  recoveryMs?: number;
}

export interface GoalCheck {
  goal: string;
  figure: string;
  target: string;
  /** undefined: not judged (a figure or floor it needs is missing from this run). */
  met: boolean | undefined;
}

export const SLEEPERS_GOAL = { count: 100_000, seconds: 20, rssMiB: 1024 } as const;
export const RECOVERY_GOAL = { count: 10_000, ms: 1_000 } as const;

export function checkGoals(inputs: GoalInputs): GoalCheck[] {
  const { w1InTurns, w2Paired, sqliteFull, fsyncPerSecond, postgres = {}, sleepers = {} } = inputs;
  const checks: GoalCheck[] = [];
  const at = (figure: number | undefined, target: number | undefined, goal: string, targetSays: (target: number) => string, figureSays = (f: number) => fmt(f)) =>
    checks.push({
      goal,
      figure: figure === undefined ? "not measured" : figureSays(figure),
      target: target === undefined ? "no floor measured" : targetSays(target),
      met: figure === undefined || target === undefined ? undefined : figure >= target,
    });

  const w1Ratio = w1InTurns && w1InTurns.reprise / w1InTurns.resonate;
  at(w1Ratio, 4, "embedded W1 at FULL, in turns with @resonatehq/sdk local mode", (t) => `x${t}`, (f) => `x${f.toFixed(2)} (${fmt(w1InTurns!.reprise)} against ${fmt(w1InTurns!.resonate)})`);
  const w2Share = w2Paired && w2Paired.reprise / w2Paired.floor;
  at(w2Share, 0.8, "embedded W2 at FULL, paired round by round with its floor", (t) => `${t * 100}% of the floor`, (f) => `${(100 * f).toFixed(1)}% (${fmt(w2Paired!.reprise)} against ${fmt(w2Paired!.floor)})`);

  const restateW1 = sqliteFull?.perRow && (ISSUE_TABLE.restateW1 / ISSUE_TABLE.sqliteFloorW1) * sqliteFull.perRow;
  at(postgres.w1, restateW1 && 2 * restateW1, "server on PostgreSQL, 1 worker: W1 at twice Restate's", (t) => `${fmt(t)} (2 x 1,423/3,400 x this run's FULL floor, 5,000 rows)`);
  const restateW2 = sqliteFull?.perRowSeq && (ISSUE_TABLE.restateW2 / ISSUE_TABLE.sqliteFloorW2) * sqliteFull.perRowSeq;
  at(postgres.w2, restateW2, "server on PostgreSQL, 1 worker: W2 at Restate's", (t) => `${fmt(t)} (423/2,056 x this run's FULL floor, 200 rows)`);
  const restateW2ByFsync = fsyncPerSecond && (ISSUE_TABLE.restateW2 * fsyncPerSecond) / ISSUE_TABLE.fsyncPerSecond;
  at(postgres.w2, restateW2ByFsync, "the same, Restate's W2 translated by fdatasync instead", (t) => `${fmt(t)} (423 x this run's fdatasync/s / 6,300)`);
  const clusterRatio = postgres.clusterW1 !== undefined && postgres.w1 ? postgres.clusterW1 / postgres.w1 : undefined;
  at(clusterRatio, 0.9, "2 servers + 4 workers on PostgreSQL: W1 within 10% of one worker's", (t) => `x${t}`, (f) => `x${f.toFixed(2)}`);

  const { embedded, server } = sleepers;
  checks.push({
    goal: `${fmt(SLEEPERS_GOAL.count)} sleepers, embedded: all suspended, and RSS`,
    figure: embedded ? `${embedded.seconds.toFixed(1)} s, ${fmt(embedded.rssMiB)} MiB` : "not measured",
    target: `< ${SLEEPERS_GOAL.seconds} s, < ${SLEEPERS_GOAL.rssMiB} MiB`,
    met: embedded && embedded.seconds < SLEEPERS_GOAL.seconds && embedded.rssMiB < SLEEPERS_GOAL.rssMiB,
  });
  checks.push({
    goal: `${fmt(SLEEPERS_GOAL.count)} sleepers, with a server: all suspended, and the server's and the worker's RSS`,
    figure: server ? `${server.seconds.toFixed(1)} s, ${fmt(server.serverRssMiB)} + ${fmt(server.workerRssMiB)} MiB` : "not measured",
    target: `< ${SLEEPERS_GOAL.seconds} s, < ${SLEEPERS_GOAL.rssMiB} MiB each`,
    met: server && server.seconds < SLEEPERS_GOAL.seconds && Math.max(server.serverRssMiB, server.workerRssMiB) < SLEEPERS_GOAL.rssMiB,
  });
  checks.push({
    goal: `recovery of ${fmt(RECOVERY_GOAL.count)} executions, from the fresh process's start`,
    figure: inputs.recoveryMs === undefined ? "not measured" : `${fmt(inputs.recoveryMs)} ms`,
    target: `<= ${fmt(RECOVERY_GOAL.ms)} ms`,
    met: inputs.recoveryMs === undefined ? undefined : inputs.recoveryMs <= RECOVERY_GOAL.ms,
  });
  return checks;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
