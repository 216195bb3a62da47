/**
 * The Context a workflow receives: every method returns a generator to `yield*`, which makes the
 * call durable. The Context only builds commands; the engine (execution.ts) carries them out.
 */
import { command, type AnyFunction, type Command, type FutureRef, type Yielded } from "./commands.js";
import { Options, splitOptions, type CallOptions } from "./options.js";

/** What `yield*` on a generator function returns. */
type GeneratorReturn<G> = G extends Generator<unknown, infer R, unknown> ? R : never;
/** The result of calling a step or child workflow: a generator's return, or an awaited value. */
export type ResultOf<F extends AnyFunction> =
  ReturnType<F> extends Generator<unknown, unknown, unknown> ? GeneratorReturn<ReturnType<F>> : Awaited<ReturnType<F>>;
/** A step's arguments after the Context, optionally followed by Options. */
type StepArgs<F> = F extends (ctx: Context, ...args: infer A) => unknown ? A | [...A, Options] : never;

/** A durable call started earlier: `yield* future` waits for its result. */
export class Future<T> implements FutureRef {
  constructor(
    readonly id: string,
    readonly slot: number,
  ) {}

  *[Symbol.iterator](): Generator<Yielded, T, unknown> {
    return yield* command<T>({ kind: "await", future: this });
  }
}

/** A durable promise that something outside the workflow settles, by id. */
export class DurablePromise<T> extends Future<T> {}

export interface RaceResult<T> {
  /** Index of the future that settled first. */
  index: number;
  value: T;
}

export interface Context {
  /** This execution's (or child workflow's) durable promise id. */
  readonly id: string;
  /** The root execution's id. */
  readonly rootId: string;
  /** The registered function name this context runs. */
  readonly func: string;
  /**
   * In a step: aborted when the execution is cancelled while the step runs (docs/cancellation.md);
   * pass it to fetch or check it between units of work. A workflow body never sees it abort: it
   * gets a CancelledError at its current `yield` instead.
   */
  readonly signal: AbortSignal;

  /** Runs a step (plain or async function) or a child workflow (generator function), durably. */
  run<F extends (ctx: Context, ...args: never[]) => unknown>(func: F, ...args: StepArgs<F>): Generator<Yielded, ResultOf<F>, unknown>;
  /** Starts a step or child workflow and returns at once; `yield* future` later for its result. */
  beginRun<F extends (ctx: Context, ...args: never[]) => unknown>(
    func: F,
    ...args: StepArgs<F>
  ): Generator<Yielded, Future<ResultOf<F>>, unknown>;
  /** Runs a registered function on a worker of the target group (`ctx.options({ target })`). */
  rpc<T = unknown>(name: string, ...args: unknown[]): Generator<Yielded, T, unknown>;
  beginRpc<T = unknown>(name: string, ...args: unknown[]): Generator<Yielded, Future<T>, unknown>;
  /** Sleeps durably: `ms`, or `{ for: ms }`, or `{ until: Date | epoch ms }`. Survives restarts. */
  sleep(duration: number | { for: number } | { until: Date | number }): Generator<Yielded, void, unknown>;
  /** A durable timer as a future, to race against something else. */
  timer(duration: number | { for: number } | { until: Date | number }): Generator<Yielded, Future<void>, unknown>;
  /** A durable promise settled from outside; read `.id` to hand it to whoever settles it. */
  promise<T = unknown>(options?: { id?: string; timeout?: number; data?: unknown; tags?: Record<string, string> }): Generator<
    Yielded,
    DurablePromise<T>,
    unknown
  >;
  /** Waits for the first of several futures to settle; the winner is recorded, so replays agree. */
  race<T>(futures: Future<T>[]): Generator<Yielded, RaceResult<T>, unknown>;
  /** Ends the execution with a Panic error (type "Panic", code "98") when `condition` is true. */
  panic(condition: boolean, message?: string): Generator<Yielded, void, unknown>;
  /** Ends the execution with a Panic error when `condition` is false. */
  assert(condition: boolean, message?: string): Generator<Yielded, void, unknown>;
  /**
   * Whether to run new code at this point: `if (yield* ctx.patched("charge-first")) { new } else { old }`.
   * True for an execution that reaches this point with the new code, false for one whose history
   * passed it before the patch existed; recorded, so every later replay agrees. It takes no
   * position in the child-id sequence, so the calls after it keep their ids.
   */
  patched(name: string): Generator<Yielded, boolean, unknown>;
  /** A value registered with `reprise.setDependency(name, value)`. */
  getDependency<T = unknown>(name: string): T;
  /** Options for one call, passed as its last argument. */
  options(options: CallOptions): Options;
  /** Checkpointed clock: the same value on every replay. */
  readonly date: { now(): Generator<Yielded, number, unknown> };
  /** Checkpointed randomness: the same value on every replay. */
  readonly math: { random(): Generator<Yielded, number, unknown> };
}

/** What every context of one execution shares: made once per execution, not once per step. */
export interface ExecutionInfo {
  rootId: string;
  getDependency(name: string): unknown;
  /** The engine's clock (injected in tests), read by `ctx.date.now()`'s step. */
  now(): number;
}

export function durationOf(duration: number | { for: number } | { until: Date | number }): { ms?: number; until?: number } {
  if (typeof duration === "number") return { ms: duration };
  if ("for" in duration) return { ms: duration.for };
  return { until: duration.until instanceof Date ? duration.until.getTime() : duration.until };
}

function nameOf(func: AnyFunction): string {
  return func.name || "anonymous";
}

/** The step behind `ctx.date.now()`: the engine's clock, read once and recorded. */
export function dateNow(ctx: Context): number {
  return (ctx as WorkflowContext).clockNow();
}

/** The step behind `ctx.math.random()`. */
export function mathRandom(): number {
  return Math.random();
}

/**
 * Awaiting a generator-form call (in an async step, say) would silently do nothing: make it fail
 * with a message that says what to do instead.
 */
function refuseAwait<G extends Generator<unknown, unknown, unknown>>(gen: G): G {
  // One function for every call: it captures nothing, and a ctx call is made on every step.
  (gen as G & { then: typeof refusedThen }).then = refusedThen;
  return gen;
}

function refusedThen(_resolve: unknown, reject?: (error: unknown) => void): void {
  reject?.(
    new TypeError(
      "a ctx call of a generator workflow was awaited; use `yield* ctx.run(...)` in a generator workflow, " +
        "or register an async workflow (async function (ctx: AsyncContext)) to await ctx calls",
    ),
  );
}

/** A call as the workflow gets it: a generator to `yield*` (that refuses to be awaited). */
function call<T>(cmd: Command | undefined): Generator<Yielded, T, unknown> {
  return refuseAwait(cmd === undefined ? nothing<T>() : command<T>(cmd));
}

/** A call with nothing to do (a panic whose condition is false). */
function* nothing<T>(): Generator<Yielded, T, unknown> {
  return undefined as T;
}

/**
 * The Context of one workflow or step. A class, not an object of closures: one is made for every
 * step that runs, so it must cost no more than its fields (what the execution's contexts share is
 * one `ExecutionInfo`; `date`, `math` and `signal` are made on first use).
 */
export class WorkflowContext implements Context {
  /** Made on first use of `signal`: most steps never read it. */
  private controller: AbortController | undefined;
  private dateView: Context["date"] | undefined;
  private mathView: Context["math"] | undefined;
  /** Set once the execution's cancellation reached this (step's) context. */
  cancelledBy: Error | undefined;

  readonly rootId: string;

  constructor(
    readonly id: string,
    readonly func: string,
    private readonly info: ExecutionInfo,
  ) {
    this.rootId = info.rootId;
  }

  get date(): Context["date"] {
    return (this.dateView ??= { now: () => this.run(dateNow) });
  }

  get math(): Context["math"] {
    return (this.mathView ??= { random: () => this.run(mathRandom) });
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.cancelledBy && !this.controller.signal.aborted) this.controller.abort(this.cancelledBy);
    return this.controller.signal;
  }

  /** The execution was cancelled while this step ran: its signal aborts with `reason`. */
  abort(reason: Error): void {
    this.cancelledBy ??= reason;
    this.controller?.abort(reason);
  }

  run<F extends (ctx: Context, ...args: never[]) => unknown>(func: F, ...rest: StepArgs<F>): Generator<Yielded, ResultOf<F>, unknown> {
    return call(runCommand(func, rest, false));
  }

  beginRun<F extends (ctx: Context, ...args: never[]) => unknown>(func: F, ...rest: StepArgs<F>): Generator<Yielded, Future<ResultOf<F>>, unknown> {
    return call(runCommand(func, rest, true));
  }

  rpc<T = unknown>(name: string, ...rest: unknown[]): Generator<Yielded, T, unknown> {
    return call(rpcCommand(name, rest, false));
  }

  beginRpc<T = unknown>(name: string, ...rest: unknown[]): Generator<Yielded, Future<T>, unknown> {
    return call(rpcCommand(name, rest, true));
  }

  sleep(duration: number | { for: number } | { until: Date | number }): Generator<Yielded, void, unknown> {
    return call({ kind: "timer", ...durationOf(duration), deferred: false });
  }

  timer(duration: number | { for: number } | { until: Date | number }): Generator<Yielded, Future<void>, unknown> {
    return call({ kind: "timer", ...durationOf(duration), deferred: true });
  }

  promise<T = unknown>(options: { id?: string; timeout?: number; data?: unknown; tags?: Record<string, string> } = {}): Generator<Yielded, DurablePromise<T>, unknown> {
    return call({ kind: "promise", ...options });
  }

  race<T>(futures: Future<T>[]): Generator<Yielded, RaceResult<T>, unknown> {
    return call({ kind: "race", futures });
  }

  panic(condition: boolean, message?: string): Generator<Yielded, void, unknown> {
    return call(condition ? { kind: "panic", message: message ?? "panic condition was true" } : undefined);
  }

  assert(condition: boolean, message?: string): Generator<Yielded, void, unknown> {
    return call(condition ? undefined : { kind: "panic", message: message ?? "assertion failed" });
  }

  patched(name: string): Generator<Yielded, boolean, unknown> {
    return call({ kind: "patch", name });
  }

  getDependency<T = unknown>(name: string): T {
    return this.info.getDependency(name) as T;
  }

  /** The engine's clock; workflows read it through `ctx.date.now()`, which records it. */
  clockNow(): number {
    return this.info.now();
  }

  options(options: CallOptions): Options {
    return new Options(options);
  }
}

export function runCommand(func: AnyFunction, rest: unknown[], deferred: boolean): Command {
  const { args, options } = splitOptions(rest);
  return { kind: "run", func, name: nameOf(func), args, options, deferred };
}

export function rpcCommand(name: string, rest: unknown[], deferred: boolean): Command {
  const { args, options } = splitOptions(rest);
  return { kind: "rpc", name, args, options, deferred };
}
