/** W1 / W2 and how a Reprise instance runs them: shared by the embedded child and the HTTP worker. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reprise } from "../../src/index.js";
import { sequential } from "./workflows.js";

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
 * One round of `sequential` (W1 / W2) on a fresh embedded Reprise and a fresh SQLite file, so no
 * round reads a table another round filled; the file is removed afterwards.
 */
export async function embeddedRound(workload: Workload, sync: Sync, idPrefix: string, determinism: Determinism = "off"): Promise<RoundFigures> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-bench-embedded-"));
  const reprise = await embeddedReprise(join(dir, "bench.db"), sync, determinism);
  reprise.register("sequential", sequential);
  try {
    await reprise.ready();
    return await runWorkload(reprise, workload, idPrefix);
  } finally {
    await reprise.stop();
    rmSync(dir, { recursive: true, force: true });
  }
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

/**
 * The warm-up before the measured rounds: rounds of the measured workload itself, until `steps`
 * steps have run or `ms` have passed (at least one round). A long-lived worker runs with its code
 * compiled by the JIT and its heap grown to its load; a fresh process gets there over its first
 * 10,000–20,000 steps (embedded W1 at FULL, measured: 11,000 steps/s in the first round, 17,000–24,000
 * from the fourth). One short round left the measured rounds still warming up, so they said more
 * about start-up than about a step. Every configuration, @resonatehq/sdk's local mode included,
 * warms up the same way. The time cap is 15 s: one sequential workflow through a server on
 * PostgreSQL (W2, about 600 steps/s cold) rose from 460 to 850–1,000 steps/s over its first
 * 4,000 steps, as V8 optimized the lone-step path (with a lower `--interrupt-budget`, in half as
 * many); with 5 s its figure was taken mid-warm-up.
 */
export interface WarmUp {
  steps: number;
  ms: number;
}

export const WARM_UP: WarmUp = { steps: 20_000, ms: 15_000 };
export const QUICK_WARM_UP: WarmUp = { steps: 1_000, ms: 2_000 };

/** The warm-up named by a child's `--warm-up-steps` / `--warm-up-ms` flags (default WARM_UP). */
export function warmUpFrom(flag: (name: string, fallback: string) => string): WarmUp {
  return { steps: Number(flag("warm-up-steps", String(WARM_UP.steps))), ms: Number(flag("warm-up-ms", String(WARM_UP.ms))) };
}

/** The flags that pass `warmUp` to a child. */
export function warmUpFlags(warmUp: WarmUp): string[] {
  return ["--warm-up-steps", String(warmUp.steps), "--warm-up-ms", String(warmUp.ms)];
}

/**
 * Runs `round` (given its number) through the warm-up rounds, then the measured ones (see
 * anotherRound); returns both, the measured ones as `rounds`.
 */
export async function measureRounds(
  warmUp: WarmUp,
  runs: number,
  budgetMs: number,
  round: (n: number) => Promise<RoundFigures>,
): Promise<{ rounds: RoundFigures[]; warmUpRounds: RoundFigures[] }> {
  const warmUpRounds = await warmUpWith(warmUp, round);
  const rounds: RoundFigures[] = [];
  let n = warmUpRounds.length;
  while (anotherRound(rounds, runs, budgetMs)) rounds.push(await round(n++));
  return { rounds, warmUpRounds };
}

/** Runs `round` (numbered from 0) through the warm-up rounds alone; returns them. */
export async function warmUpWith(warmUp: WarmUp, round: (n: number) => Promise<RoundFigures>): Promise<RoundFigures[]> {
  const warmUpRounds: RoundFigures[] = [];
  while (stillWarmingUp(warmUpRounds, warmUp)) warmUpRounds.push(await round(warmUpRounds.length));
  return warmUpRounds;
}

/** Whether another warm-up round is due, after `rounds` warm-up rounds. */
function stillWarmingUp(rounds: readonly RoundFigures[], warmUp: WarmUp): boolean {
  if (rounds.length === 0) return true;
  const steps = rounds.reduce((sum, round) => sum + round.steps, 0);
  return steps < warmUp.steps && rounds.at(-1)!.endedAt - rounds[0]!.startedAt < warmUp.ms;
}

/**
 * Whether to measure another round: until `runs` rounds, or until the next round (as long as the
 * last one) would end past `budgetMs` since the first measured round began. At least one round is
 * always measured. So a slow engine (today's, on PostgreSQL) reports the median of fewer rounds
 * rather than making the bench unbounded; the rounds' count is reported with each figure.
 */
function anotherRound(rounds: readonly RoundFigures[], runs: number, budgetMs: number): boolean {
  if (rounds.length === 0) return true;
  if (rounds.length >= runs) return false;
  const elapsed = rounds.at(-1)!.endedAt - rounds[0]!.startedAt;
  const last = rounds.at(-1)!.endedAt - rounds.at(-1)!.startedAt;
  return elapsed + last <= budgetMs;
}
