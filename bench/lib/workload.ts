/** W1 / W2 and how a Reprise instance runs them: shared by the embedded child and the HTTP worker. */
import { Reprise } from "../../src/index.js";

export type Sync = "FULL" | "NORMAL";

export interface Workload {
  /** Workflows started together. W1: 500; W2: 1. */
  workflows: number;
  /** Sequential trivial steps in each. W1: 10; W2: 200. */
  steps: number;
}

export interface RoundFigures {
  seconds: number;
  steps: number;
  stepsPerSecond: number;
  /** Wall-clock ms since the epoch, so rounds in several processes can be put on one time line. */
  startedAt: number;
  endedAt: number;
}

export type Determinism = "off" | "warn" | "error";

/**
 * An embedded Reprise on a SQLite file at `synchronous` = FULL (durability "power-loss", the
 * default) or NORMAL ("process-crash"). The determinism guard is off, as in production, unless a
 * row measures what it costs when on.
 */
export async function embeddedReprise(path: string, sync: Sync, determinism: Determinism = "off"): Promise<Reprise> {
  return new Reprise({ store: path, durability: sync === "FULL" ? "power-loss" : "process-crash", determinism });
}

/**
 * Starts `workflows` executions at once and waits for every result, through `reprise.run`: what a
 * user calling the API sees (start, run, durable result, result delivered to the caller).
 */
export async function runWorkload(reprise: Reprise, workload: Workload, idPrefix: string): Promise<RoundFigures> {
  const startedAt = Date.now();
  const started = performance.now();
  await Promise.all(Array.from({ length: workload.workflows }, (_, i) => reprise.run(`${idPrefix}-${i}`, "sequential", workload.steps)));
  const seconds = (performance.now() - started) / 1000;
  const steps = workload.workflows * workload.steps;
  return { seconds, steps, stepsPerSecond: steps / seconds, startedAt, endedAt: Date.now() };
}

/** The warm-up round: the same workload, at most WARM_UP_WORKFLOWS workflows (enough to warm the JIT). */
export const WARM_UP_WORKFLOWS = 100;

export function warmUpOf(workload: Workload): Workload {
  return { workflows: Math.min(workload.workflows, WARM_UP_WORKFLOWS), steps: workload.steps };
}

/**
 * Whether to measure another round: until `runs` rounds, or until the next round (as long as the
 * last one) would end past `budgetMs` since the first measured round began. At least one round is
 * always measured. So a slow engine (today's, on PostgreSQL) reports the median of fewer rounds
 * rather than making the bench unbounded; the rounds' count is reported with each figure.
 */
export function anotherRound(rounds: readonly RoundFigures[], runs: number, budgetMs: number): boolean {
  if (rounds.length === 0) return true;
  if (rounds.length >= runs) return false;
  const elapsed = rounds.at(-1)!.endedAt - rounds[0]!.startedAt;
  const last = rounds.at(-1)!.endedAt - rounds.at(-1)!.startedAt;
  return elapsed + last <= budgetMs;
}
