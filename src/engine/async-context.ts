/**
 * The same programming model with async/await: a registered `async function (ctx: AsyncContext)`
 * awaits durable calls instead of `yield*`-ing them. Each call starts when it is made (ids are
 * derived in call order, as with generators), so `Promise.all([ctx.run(a), ctx.run(b)])` runs
 * both at once.
 *
 * One rule the generator form enforces by syntax, and this form cannot: await only ctx calls in
 * the workflow body (do I/O inside steps). Async workflows are roots; child workflows are
 * generator functions (or remote calls).
 */
import type { AnyFunction, Command } from "./commands.js";
import { dateNow, durationOf, mathRandom, rpcCommand, runCommand } from "./context.js";
import type { Context, DurablePromise, Future, RaceResult, ResultOf } from "./context.js";
import { Options, type CallOptions } from "./options.js";

type StepArgs<F> = F extends (ctx: Context, ...args: infer A) => unknown ? A | [...A, Options] : never;

export interface AsyncContext {
  readonly id: string;
  readonly rootId: string;
  readonly func: string;
  /** Runs a step (or a generator child workflow), durably; starts at once. */
  run<F extends (ctx: Context, ...args: never[]) => unknown>(func: F, ...args: StepArgs<F>): Promise<ResultOf<F>>;
  /** Runs a registered function on a worker of the target group (`ctx.options({ target })`). */
  rpc<T = unknown>(name: string, ...args: unknown[]): Promise<T>;
  /** Sleeps durably: `ms`, `{ for: ms }` or `{ until }`. */
  sleep(duration: number | { for: number } | { until: Date | number }): Promise<void>;
  /** A durable timer as a future, to race. */
  timer(duration: number | { for: number } | { until: Date | number }): Promise<Future<void>>;
  /** A durable promise settled from outside by its `.id`; `await ctx.wait(p)` for its value. */
  promise<T = unknown>(options?: { id?: string; timeout?: number; data?: unknown; tags?: Record<string, string> }): Promise<DurablePromise<T>>;
  /** Starts a call and returns its future at once (for ctx.race, or to wait on later). */
  beginRun<F extends (ctx: Context, ...args: never[]) => unknown>(func: F, ...args: StepArgs<F>): Promise<Future<ResultOf<F>>>;
  /** Waits for a future (a durable promise, a timer, a started call). */
  wait<T>(future: Future<T>): Promise<T>;
  /** The first of several futures to settle; recorded, so every replay agrees. */
  race<T>(futures: Future<T>[]): Promise<RaceResult<T>>;
  /** Ends the execution with a Panic error (type "Panic", code "98") when `condition` is true. */
  panic(condition: boolean, message?: string): Promise<void>;
  assert(condition: boolean, message?: string): Promise<void>;
  /** Whether to run new code at this point (see Context.patched); recorded, so replays agree. */
  patched(name: string): Promise<boolean>;
  getDependency<T = unknown>(name: string): T;
  options(options: CallOptions): Options;
  readonly date: { now(): Promise<number> };
  readonly math: { random(): Promise<number> };
}

export interface AsyncContextInfo {
  id: string;
  rootId: string;
  func: string;
  getDependency(name: string): unknown;
  /** Carries out one command and answers with its value (or throws its error). */
  perform(command: Command): Promise<unknown>;
}

export function createAsyncContext(info: AsyncContextInfo): AsyncContext {
  const call = <T>(command: Command) => info.perform(command) as Promise<T>;
  const run = <T>(func: AnyFunction, rest: unknown[], deferred: boolean): Promise<T> => call<T>(runCommand(func, rest, deferred));
  const ctx: AsyncContext = {
    id: info.id,
    rootId: info.rootId,
    func: info.func,
    run: (func, ...rest) => run(func, rest, false),
    beginRun: (func, ...rest) => run(func, rest, true),
    rpc: (name, ...rest) => call(rpcCommand(name, rest, false)),
    sleep: (duration) => call({ kind: "timer", ...durationOf(duration), deferred: false }),
    timer: (duration) => call({ kind: "timer", ...durationOf(duration), deferred: true }),
    promise: (options = {}) => call({ kind: "promise", ...options }),
    wait: (future) => call({ kind: "await", future }),
    race: (futures) => call({ kind: "race", futures }),
    panic: async (condition, message) => {
      if (condition) await call({ kind: "panic", message: message ?? "panic condition was true" });
    },
    assert: async (condition, message) => {
      if (!condition) await call({ kind: "panic", message: message ?? "assertion failed" });
    },
    patched: (name) => call({ kind: "patch", name }),
    getDependency: <T>(name: string) => info.getDependency(name) as T,
    options: (options) => new Options(options),
    date: { now: () => ctx.run(dateNow) },
    math: { random: () => ctx.run(mathRandom) },
  };
  return ctx;
}
