/**
 * The reference point the speed goals name: @resonatehq/sdk in its local mode (everything in
 * memory: NOT durable), running the same W1 / W2 in its own process.
 *   node bench/resonate-local.js --workflows 500 --steps 10 --runs 3 --budget-ms 120000
 * Prints `BENCH {"type":"result","rounds":[…]}` like the embedded child.
 */
import { childMain, emit, flag } from "./lib/child.js";
import { measureRounds, warmUpFrom, type RoundFigures, type Workload } from "./lib/workload.js";

// @resonatehq/sdk 0.11 calls Promise.withResolvers, which Node 20 lacks.
const withResolvers = Promise as unknown as { withResolvers?: () => unknown };
withResolvers.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const { Resonate } = await import("@resonatehq/sdk");

interface LocalContext {
  run(func: (ctx: unknown, i: number) => number, i: number): Generator<unknown, number, unknown>;
}

function noop(_ctx: unknown, i: number): number {
  return i;
}

function* sequential(ctx: LocalContext, steps: number): Generator<unknown, number, unknown> {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += yield* ctx.run(noop, i);
  return sum;
}

async function runLocal(workload: Workload, prefix: string): Promise<RoundFigures> {
  const resonate = new Resonate({ logLevel: "error" });
  resonate.register("sequential", sequential as never);
  const startedAt = Date.now();
  const started = performance.now();
  await Promise.all(Array.from({ length: workload.workflows }, (_, i) => resonate.run(`${prefix}-${i}`, "sequential", workload.steps)));
  const seconds = (performance.now() - started) / 1000;
  await resonate.stop();
  const steps = workload.workflows * workload.steps;
  return { seconds, steps, stepsPerSecond: steps / seconds, startedAt, endedAt: Date.now() };
}

childMain(async () => {
  const workload = { workflows: Number(flag("workflows", "500")), steps: Number(flag("steps", "10")) };
  const runs = Number(flag("runs", "3"));
  const budgetMs = Number(flag("budget-ms", "120000"));
  const { rounds, warmUpRounds } = await measureRounds(warmUpFrom(flag), runs, budgetMs, (round) => runLocal(workload, `r-${round}`));
  emit("result", { rounds, warmUpRounds });
  process.exit(0);
});
