/**
 * The workflow shapes a seed's executions run, and the world their steps act on. Each shape is a
 * real workflow on the real engine; its result has two parts:
 *
 * - `v`, a value that depends only on the shape's argument: a faulty run must end with the same
 *   one as a fault-free run of the same workload;
 * - `seen`, what the workflow got from its effect steps. An effect step returns which run of it
 *   this is (`e3.2#1`), so a step run again after a crash returns something else: the workflow
 *   must have seen the value the store recorded, and the world's effect log says how often each
 *   step really ran.
 */
import type { Clock } from "../src/engine/clock.js";
import type { Context } from "../src/engine/context.js";
import { constant, never } from "../src/engine/retry.js";
import type { Reprise } from "../src/sdk/reprise.js";

export const SHAPES = ["sequence", "fanout", "child", "sleep", "signal", "race", "rpc", "panic", "flaky"] as const;
export type ShapeName = (typeof SHAPES)[number];

/** The group rpc calls go to. */
export const REMOTE_GROUP = "remote";
export const MAIN_GROUP = "main";
/** What the outside world settles every external promise with. */
export const SIGNAL_VALUE = "approved";

export interface WorkflowResult {
  v: unknown;
  seen: string[];
}

/** One run of an effect step, as the world saw it. */
export interface EffectRun {
  at: number;
  /** Faults injected before this run: a run again with no fault in between is one too many. */
  epoch: number;
  /** The process that ran it. */
  pid: string;
  /** Whether that process had lost its lease on the execution by then (a stale holder, still running). */
  stale: boolean;
}

/** What steps change, outside any process: it survives every crash, as a database would. */
export class World {
  readonly effects = new Map<string, EffectRun[]>();
  private readonly failures = new Map<string, number>();
  /** Faults injected so far (crashes, pauses, partitions, lost messages, jumps). */
  epoch = 0;
  /** Step calls still to fail (a `step-throws` fault). */
  failNext = 0;

  constructor(
    private readonly now: () => number,
    /** Whether `pid` holds a live lease on the task `taskId`, as far as the store has answered. */
    private readonly holds: (taskId: string, pid: string) => boolean,
  ) {}

  /** Runs an effect: notes it in the log and answers which run of the step this is. */
  effect(stepId: string, taskId: string, pid: string): string {
    const runs = this.effects.get(stepId) ?? [];
    runs.push({ at: this.now(), epoch: this.epoch, pid, stale: !this.holds(taskId, pid) });
    this.effects.set(stepId, runs);
    return `${stepId}#${runs.length}`;
  }

  private readonly injected = new Map<string, number>();

  /**
   * Throws while a `step-throws` fault lasts: the step fails before it does anything. One step
   * fails at most 3 times so (two faults in a row included), within every step's retries.
   */
  serviceCheck(stepId: string): void {
    if (this.failNext <= 0) return;
    const failed = this.injected.get(stepId) ?? 0;
    if (failed >= 3) return;
    this.injected.set(stepId, failed + 1);
    this.failNext--;
    throw new Error("injected failure: service unavailable");
  }

  /** Whether a flaky call should fail again: it fails `times` times in all, then succeeds. */
  failsAgain(stepId: string, times: number): boolean {
    const failed = this.failures.get(stepId) ?? 0;
    if (failed >= times) return false;
    this.failures.set(stepId, failed + 1);
    return true;
  }
}

const DAY = 24 * 60 * 60 * 1000;

function world(ctx: Context): World {
  return ctx.getDependency<World>("world");
}

/** A call to a service takes a while: a crash or a pause may come in the middle of it. */
function serviceTime(ctx: Context, ms: number): Promise<void> {
  return ctx.getDependency<Clock>("clock").sleep(ms);
}

async function add(ctx: Context, a: number, b: number): Promise<number> {
  world(ctx).serviceCheck(ctx.id);
  await serviceTime(ctx, 20);
  return a + b;
}

async function square(ctx: Context, a: number): Promise<number> {
  world(ctx).serviceCheck(ctx.id);
  await serviceTime(ctx, 5 * a);
  return a * a;
}

/** The effect happens at once; its answer takes 300 ms to come back, a window for a crash. */
async function effect(ctx: Context): Promise<string> {
  world(ctx).serviceCheck(ctx.id);
  const run = world(ctx).effect(ctx.id, ctx.rootId, ctx.getDependency<string>("pid"));
  await serviceTime(ctx, 300);
  return run;
}

function flakyCall(ctx: Context, failures: number): string {
  if (world(ctx).failsAgain(ctx.id, failures)) throw new Error("service unavailable");
  return `served after ${failures} failures`;
}

class RefusedError extends Error {
  override name = "RefusedError";
}

function refused(_ctx: Context): never {
  throw new RefusedError("card declined");
}

function* sequence(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  let total = 0;
  const seen: string[] = [];
  for (let i = 0; i < n + 2; i++) {
    total = yield* ctx.run(add, total, i + 1);
    if (i === 0) seen.push(yield* ctx.run(effect));
  }
  return { v: total, seen };
}

function* fanout(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const futures = [];
  for (let i = 0; i < n + 2; i++) futures.push(yield* ctx.beginRun(square, i + 1));
  const mark = yield* ctx.beginRun(effect);
  let total = 0;
  for (const future of futures) total += yield* future;
  return { v: total, seen: [yield* mark] };
}

function* childWork(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const doubled = yield* ctx.run(add, n, n);
  const mark = yield* ctx.run(effect);
  return { v: doubled, seen: [mark] };
}

function* child(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const inner = yield* ctx.run(childWork, n);
  const mark = yield* ctx.run(effect);
  return { v: { child: inner.v }, seen: [...inner.seen, mark] };
}

function* sleeper(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const before = yield* ctx.run(effect);
  yield* ctx.sleep(7_000 * (n + 1));
  const after = yield* ctx.run(add, n, 100);
  yield* ctx.sleep(500);
  return { v: after, seen: [before] };
}

function* signal(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const mark = yield* ctx.run(effect);
  const approval = yield* ctx.promise<string>();
  const answer = yield* approval;
  return { v: `${answer}:${n}`, seen: [mark] };
}

function* race(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  // The outside world settles the promise within seconds; the timer is a day away: the promise
  // wins on every run, faults or none (a clock jump is at most a minute).
  const approval = yield* ctx.promise<string>();
  const deadline = yield* ctx.timer(DAY);
  const winner = yield* ctx.race<unknown>([approval, deadline]);
  const mark = yield* ctx.run(effect);
  return { v: { index: winner.index, value: winner.value, n }, seen: [mark] };
}

function* caller(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const remote = yield* ctx.rpc<WorkflowResult>("double", n, ctx.options({ target: REMOTE_GROUP }));
  const mark = yield* ctx.run(effect);
  return { v: { remote: remote.v }, seen: [...remote.seen, mark] };
}

function* double(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const value = yield* ctx.run(add, n, n);
  const mark = yield* ctx.run(effect);
  return { v: value, seen: [mark] };
}

function* panicker(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  const mark = yield* ctx.run(effect);
  yield* ctx.panic(n % 2 === 0, "planned panic");
  return { v: n, seen: [mark] };
}

function* flaky(ctx: Context, n: number): Generator<unknown, WorkflowResult, unknown> {
  // Fails n + 1 times, within the policy's retries: it always succeeds in the end.
  const served = yield* ctx.run(flakyCall, n + 1, ctx.options({ retryPolicy: constant({ delayMs: 800, maxRetries: 6 }) }));
  let refusal = "none";
  try {
    yield* ctx.run(refused, ctx.options({ retryPolicy: never }));
  } catch (error) {
    refusal = `${(error as Error).name}: ${(error as Error).message}`;
  }
  const mark = yield* ctx.run(effect);
  return { v: { served, refusal }, seen: [mark] };
}

const MAIN: Record<ShapeName, (ctx: Context, n: number) => Generator<unknown, WorkflowResult, unknown>> = {
  sequence,
  fanout,
  child,
  sleep: sleeper,
  signal,
  race,
  rpc: caller,
  panic: panicker,
  flaky,
};

/** Registers what a worker of `group` runs, the world its steps act on, and its clock. */
export function registerWorkload(reprise: Reprise, group: string, theWorld: World, clock: Clock): void {
  reprise.setDependency("world", theWorld);
  reprise.setDependency("clock", clock);
  reprise.setDependency("pid", reprise.pid);
  if (group === REMOTE_GROUP) {
    reprise.register("double", double);
    return;
  }
  for (const [name, func] of Object.entries(MAIN)) reprise.register(name, func);
}
