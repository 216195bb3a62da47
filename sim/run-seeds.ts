/**
 * Running many seeds, and replaying one: the functions behind `npm run sim` and test/sim.
 */
import fc from "fast-check";
import type { Invariant, Violation } from "./invariants.js";
import { planArb, planOf, type Plan } from "./plan.js";
import { Simulation, type SimOptions, type SimResult } from "./simulation.js";

export interface SeedFailure {
  seed: number;
  violations: Violation[];
}

export interface SeedsReport {
  seeds: number;
  failures: SeedFailure[];
  events: number;
  ms: number;
}

/** Runs one seed's plan. */
export function runSeed(seed: number, options: SimOptions = {}): Promise<SimResult> {
  return runPlan(planOf(seed), options);
}

export function runPlan(plan: Plan, options: SimOptions = {}): Promise<SimResult> {
  return new Simulation(plan, options).run();
}

/** Runs seeds `first` … `first + count - 1`; stops early after `maxFailures` failing seeds. */
export async function runSeeds(first: number, count: number, options: SimOptions & { maxFailures?: number; onSeed?: (seed: number, result: SimResult) => void } = {}): Promise<SeedsReport> {
  const started = performance.now();
  const failures: SeedFailure[] = [];
  let events = 0;
  let ran = 0;
  for (let seed = first; seed < first + count; seed++) {
    const result = await runSeed(seed, options);
    ran++;
    events += result.events;
    options.onSeed?.(seed, result);
    if (result.violations.length > 0) {
      failures.push({ seed, violations: result.violations });
      if (failures.length >= (options.maxFailures ?? Number.POSITIVE_INFINITY)) break;
    }
  }
  return { seeds: ran, failures, events, ms: performance.now() - started };
}

/** The first seed from `first` (at most `count` tried) whose run breaks `invariant`. */
export async function findSeedBreaking(invariant: Invariant, first: number, count: number, options: SimOptions): Promise<{ seed: number; violation: Violation } | undefined> {
  for (let seed = first; seed < first + count; seed++) {
    const result = await runSeed(seed, options);
    const violation = result.violations.find((v) => v.invariant === invariant);
    if (violation) return { seed, violation };
  }
  return undefined;
}

/**
 * Shrinks a failing seed's plan with fast-check: fewer executions, fewer and shorter faults, while
 * the run still breaks one of the same invariants. Returns the smallest plan found.
 */
export async function shrink(seed: number, options: SimOptions = {}): Promise<{ plan: Plan; violations: Violation[] }> {
  const original = await runSeed(seed, options);
  const broken = new Set(original.violations.map((v) => v.invariant));
  let smallest: { plan: Plan; violations: Violation[] } = { plan: planOf(seed), violations: original.violations };
  if (broken.size === 0) return smallest;
  await fc.assert(
    fc.asyncProperty(planArb, async (plan) => {
      const result = await runPlan(plan, options);
      const still = result.violations.filter((v) => broken.has(v.invariant));
      if (still.length > 0) smallest = { plan, violations: still };
      return still.length === 0;
    }),
    // The same seed makes fast-check generate the same first plan, which fails; it then shrinks it.
    { seed, numRuns: 1, endOnFailure: false, interruptAfterTimeLimit: 60_000 },
  ).catch(() => undefined);
  return smallest;
}
