/**
 * Durable steps per second through the whole SDK, embedded SQLite (WAL, synchronous=NORMAL):
 * (a) one workflow of 1,000 sequential steps, (b) 500 concurrent workflows of 10 steps.
 * Every step is two durable writes (create, then settle), committed before the workflow moves on.
 * Each figure is the median of three runs after one warm-up run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reprise, type Context } from "../src/index.js";

function noop(_ctx: Context, i: number): number {
  return i;
}

/** A workflow of `steps` trivial steps: what is measured is the durability around them. */
export function* sequential(ctx: Context, steps: number): Generator<unknown, number, unknown> {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += yield* ctx.run(noop, i);
  return sum;
}

export interface StepFigures {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  meanStepLatencyMs: number;
}

async function withReprise<T>(label: string, store: string | undefined, work: (reprise: Reprise) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `reprise-bench-${label}-`));
  const reprise = new Reprise({ store: store ?? join(dir, "bench.db") });
  reprise.register("sequential", sequential);
  try {
    return await work(reprise);
  } finally {
    await reprise.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median of `runs` measurements, after one unmeasured run that warms up the JIT. */
async function medianOf<T extends { stepsPerSecond: number }>(runs: number, measure: (round: number) => Promise<T>): Promise<T> {
  await measure(-1);
  const results: T[] = [];
  for (let round = 0; round < runs; round++) results.push(await measure(round));
  results.sort((a, b) => a.stepsPerSecond - b.stepsPerSecond);
  return results[Math.floor(results.length / 2)]!;
}

export async function benchSequential(steps = 1000, store?: string, runs = 3): Promise<StepFigures> {
  return withReprise("seq", store, (reprise) =>
    medianOf(runs, async (round) => {
      const started = performance.now();
      await reprise.run(`seq-${Date.now()}-${round}`, "sequential", steps);
      const seconds = (performance.now() - started) / 1000;
      return { steps, seconds, stepsPerSecond: steps / seconds, meanStepLatencyMs: (seconds * 1000) / steps };
    }),
  );
}

export async function benchConcurrent(workflows = 500, stepsEach = 10, store?: string, runs = 3): Promise<StepFigures & { workflows: number }> {
  return withReprise("conc", store, (reprise) =>
    medianOf(runs, async (round) => {
      const stamp = `${Date.now()}-${round}`;
      const latencies: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: workflows }, async (_, i) => {
          const t0 = performance.now();
          await reprise.run(`conc-${stamp}-${i}`, "sequential", stepsEach);
          latencies.push((performance.now() - t0) / stepsEach);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const steps = workflows * stepsEach;
      const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
      return { workflows, steps, seconds, stepsPerSecond: steps / seconds, meanStepLatencyMs: mean };
    }),
  );
}
