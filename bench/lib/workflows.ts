/**
 * The workflows every benchmark runs, shared by the embedded children and the HTTP workers, so
 * both modes run the same code.
 */
import type { Context } from "../../src/index.js";

function noop(_ctx: Context, i: number): number {
  return i;
}

/**
 * W1 / W2: `steps` trivial sequential steps. The step does nothing, so what is measured is the
 * durability around it (each step must be recorded before the workflow's next step runs).
 */
export function* sequential(ctx: Context, steps: number): Generator<unknown, number, unknown> {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += yield* ctx.run(noop, i);
  return sum;
}

/** Counts first steps run in this process (a step side effect). */
export const counters = { sleeperSteps: 0, blocked: 0, markers: 0 };

function sleeperStep(_ctx: Context): number {
  counters.sleeperSteps++;
  return 1;
}

/** Section 4: one step, then a one-hour durable sleep (the workflow suspends; nothing holds it in memory). */
export function* sleeper(ctx: Context): Generator<unknown, number, unknown> {
  const one = yield* ctx.run(sleeperStep);
  yield* ctx.sleep(3_600_000);
  return one;
}

function firstStep(_ctx: Context, i: number): number {
  return i;
}

const never = new Promise<never>(() => {});

/**
 * Blocks for good in the first process (which is then SIGKILLed), returns at once in the process
 * that recovers: the `phase` dependency tells them apart.
 */
async function blockingStep(ctx: Context): Promise<string> {
  if (ctx.getDependency("phase") === "start") {
    counters.blocked++;
    await never;
  }
  return "unblocked";
}

function marker(_ctx: Context): number {
  counters.markers++;
  return 1;
}

/** Section 5: a step, a step that blocks until the process is killed, then a marker step. */
export function* recoverable(ctx: Context, i: number): Generator<unknown, number, unknown> {
  yield* ctx.run(firstStep, i);
  yield* ctx.run(blockingStep);
  return yield* ctx.run(marker);
}
