/**
 * The replay machine: drives a workflow generator, turns each yielded command into durable
 * promise operations through `Effects`, and decides how this run ends (completed, suspended on
 * pending promises, or abandoned). A run always starts from the top; calls recorded by earlier
 * runs return their stored results without running again.
 */
import { encodeCall } from "../protocol/calls.js";
import { decodeValue, encodeValue, SerializationError } from "../protocol/codec.js";
import type { PromiseRecord, Value } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import { isYielded, COMMAND, type AnyFunction, type Command, type FutureRef, type RunCommand } from "./commands.js";
import { createAsyncContext } from "./async-context.js";
import { createContext, DurablePromise, Future, type Context } from "./context.js";
import type { ChildKind, ChildSpec, Effects } from "./effects.js";
import { DivergenceError, PanicError, PromiseRejectedError, RetriesExhaustedError, StoreError, toError } from "./errors.js";
import type { CallOptions } from "./options.js";
import type { Outcome } from "./outcome.js";
import { defaultRetryPolicy, never } from "./retry.js";

export interface RootSpec {
  id: string;
  name: string;
  func: AnyFunction;
  args: unknown[];
  timeoutAt: number;
}

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Ends the whole execution from anywhere inside it, bypassing the generators' try/catch. */
class Abort {
  constructor(readonly outcome: Outcome) {}
}

type FutureState =
  | { kind: "local"; id: string; done: Promise<Result>; result?: Result }
  | { kind: "durable"; id: string; record: PromiseRecord };

const NEVER = new Promise<never>(() => {});

export class Execution {
  private active = 0;
  private readonly blocked = new Set<string>();
  private readonly futures: FutureState[] = [];
  private finished = false;
  private asyncRoot = false;
  private resolveOutcome!: (outcome: Outcome) => void;
  private readonly outcome = new Promise<Outcome>((resolve) => (this.resolveOutcome = resolve));

  constructor(
    private readonly root: RootSpec,
    private readonly effects: Effects,
  ) {}

  /** Runs until the root finishes or nothing can move without an outside event. */
  run(): Promise<Outcome> {
    this.active = 1;
    void this.runRoot();
    return this.outcome;
  }

  private async runRoot(): Promise<void> {
    try {
      const { id, name, func, args, timeoutAt } = this.root;
      const result = await this.effects.observe({ id, func: name, kind: "root" }, () => this.invoke(id, name, func, args, timeoutAt));
      this.finish(this.completed(result));
    } catch (thrown) {
      this.finish(this.fatal(thrown));
    }
  }

  private finish(outcome: Outcome): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveOutcome(outcome);
  }

  private completed(result: Result): Outcome {
    if (result.ok) {
      try {
        return { type: "completed", state: "resolved", value: encodeValue(result.value, `the return value of ${this.root.name}`) };
      } catch (error) {
        return { type: "completed", state: "rejected", value: encodeValue(toError(error)) };
      }
    }
    return { type: "completed", state: "rejected", value: encodeValue(toError(result.error)) };
  }

  /**
   * What escapes the generators is the engine's own business: an Abort carries its outcome;
   * anything else (a lost lease, an unreachable store) must not be recorded as the workflow's
   * result, so the run is abandoned and the task retried.
   */
  private fatal(thrown: unknown): Outcome {
    if (thrown instanceof Abort) return thrown.outcome;
    return { type: "abandoned", reason: thrown instanceof Error ? thrown.message : String(thrown) };
  }

  /** Calls a function with a fresh context: drives it if it is a generator, awaits it otherwise. */
  private async invoke(id: string, name: string, func: AnyFunction, args: unknown[], timeoutAt: number): Promise<Result> {
    const scope = new Scope(id, timeoutAt);
    if (id === this.root.id && isAsyncFunction(func)) return this.invokeAsync(scope, name, func, args);
    const ctx = this.contextFor(id, name);
    let produced: unknown;
    try {
      produced = func(ctx, ...args);
    } catch (error) {
      return { ok: false, error };
    }
    if (!isGenerator(produced)) {
      try {
        return { ok: true, value: await produced };
      } catch (error) {
        return { ok: false, error };
      }
    }
    return this.drive(produced, scope);
  }

  /**
   * An async root: its body is not a strand of its own; each ctx call it makes is one, from call
   * to answer. So the run suspends when every call it started waits on a pending promise.
   */
  private async invokeAsync(scope: Scope, name: string, func: AnyFunction, args: unknown[]): Promise<Result> {
    this.asyncRoot = true;
    const ctx = createAsyncContext({
      id: scope.id,
      rootId: this.root.id,
      func: name,
      getDependency: (dependency) => this.effects.getDependency(dependency),
      perform: (cmd) => this.perform(cmd, scope),
    });
    let produced: unknown;
    try {
      produced = func(ctx, ...args);
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.park();
    }
    try {
      return { ok: true, value: await produced };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** One ctx call of an async workflow. An Abort or a store failure ends the run there and then. */
  private perform(cmd: Command, scope: Scope): Promise<unknown> {
    this.active++;
    return this.handleOrRefuse(cmd, scope).then(
      (result) => {
        this.park();
        if (result.ok) return result.value;
        throw result.error;
      },
      (thrown: unknown) => {
        this.finish(this.fatal(thrown));
        return NEVER;
      },
    );
  }

  private contextFor(id: string, name: string): Context {
    return createContext({
      id,
      rootId: this.root.id,
      func: name,
      getDependency: (dependency) => this.effects.getDependency(dependency),
    });
  }

  private async drive(gen: Generator<unknown, unknown, unknown>, scope: Scope): Promise<Result> {
    let input: Result = { ok: true, value: undefined };
    for (;;) {
      let step: IteratorResult<unknown, unknown>;
      try {
        step = input.ok ? gen.next(input.value) : gen.throw(input.error);
      } catch (error) {
        return { ok: false, error };
      }
      if (step.done) return { ok: true, value: step.value };
      if (!isYielded(step.value)) {
        input = {
          ok: false,
          error: new TypeError(
            `a workflow yielded ${describe(step.value)}; use \`yield*\` (with a star) on ctx calls, e.g. \`yield* ctx.run(step)\``,
          ),
        };
        continue;
      }
      input = await this.handleOrRefuse(step.value[COMMAND], scope);
    }
  }

  /** A call the workflow got wrong (an unstorable argument, an id the store refuses) is thrown back into it. */
  private async handleOrRefuse(cmd: Command, scope: Scope): Promise<Result> {
    try {
      return await this.handle(cmd, scope);
    } catch (error) {
      if (error instanceof SerializationError || (error instanceof StoreError && error.status === 400)) return { ok: false, error };
      throw error;
    }
  }

  private async handle(cmd: Command, scope: Scope): Promise<Result> {
    switch (cmd.kind) {
      case "run":
        return this.handleRun(cmd, scope);
      case "rpc": {
        const id = scope.childId(cmd.options);
        const target = cmd.options.target ? this.effects.resolveTarget(cmd.options.target) : this.effects.defaultTarget();
        const record = await this.createChild(scope, id, "rpc", cmd.name, encodeArgs(cmd.name, cmd.args, true), cmd.options, {
          [TAG.target]: target,
          [TAG.scope]: "global",
        });
        const future = this.durableFuture(record);
        return cmd.deferred ? { ok: true, value: future } : this.await(future);
      }
      case "timer": {
        const id = scope.childId({});
        const until = cmd.until ?? this.effects.now() + (cmd.ms ?? 0);
        const record = await this.create(scope, { id, kind: "sleep", func: "sleep", timeoutAt: until, param: {}, tags: { [TAG.timer]: "true" } });
        const future = this.durableFuture(record);
        return cmd.deferred ? { ok: true, value: future } : this.await(future);
      }
      case "promise": {
        const id = scope.childId({ id: cmd.id });
        const param = cmd.data === undefined ? {} : encodeValue(cmd.data, "the promise's data");
        const record = await this.createChild(scope, id, "promise", "promise", param, { timeout: cmd.timeout }, cmd.tags ?? {});
        const slot = this.futures.push({ kind: "durable", id, record }) - 1;
        return { ok: true, value: new DurablePromise(id, slot) };
      }
      case "await":
        return this.await(cmd.future);
      case "race":
        return this.race(cmd.futures, scope);
      case "panic":
        throw new Abort({ type: "completed", state: "rejected", value: encodeValue(new PanicError(`${scope.id}: ${cmd.message}`)) });
    }
  }

  private async handleRun(cmd: RunCommand, scope: Scope): Promise<Result> {
    const id = scope.childId(cmd.options);
    const isWorkflow = isGeneratorFunction(cmd.func);
    const kind: ChildKind = isWorkflow ? "workflow" : "step";
    const creating = this.createChild(scope, id, kind, cmd.name, encodeArgs(cmd.name, cmd.args, false), cmd.options, {});
    // A step nobody recorded yet runs while its create commits: create and settle then share one
    // commit. Steps are at-least-once anyway; if the create finds a record after all, it wins.
    const pipelined = !isWorkflow && this.effects.isUnrecorded(id);
    if (pipelined) creating.catch(() => {});
    const record = pipelined ? undefined : await creating;
    const work = async (): Promise<Result> => {
      if (record && record.state !== "pending") return resultOf(record);
      const timeoutAt = record?.timeoutAt ?? this.deadlineOf(scope, cmd.options);
      const { result, attempts } = await this.effects.observe({ id, func: cmd.name, kind, parentId: scope.id }, async () => {
        const ran = isWorkflow
          ? { result: await this.invoke(id, cmd.name, cmd.func, cmd.args, timeoutAt), attempts: 1 }
          : await this.runStep(id, cmd, timeoutAt);
        return { ...ran, ...ran.result };
      });
      if (record) return this.record(id, result, attempts);
      if (!this.effects.ordered) {
        const created = await creating;
        return created.state === "pending" ? this.record(id, result, attempts) : resultOf(created);
      }
      // In order to the store: settle without waiting for the create's answer, so both can share a
      // commit. Settling never changes a promise settled before, and the answer is what was stored.
      const settling = this.record(id, result, attempts);
      settling.catch(() => {});
      await creating;
      return settling;
    };
    if (!cmd.deferred) return work();
    // A deferred call runs beside its caller: it is one more active strand until it ends.
    this.active++;
    const done = work()
      .catch((thrown: unknown) => {
        this.finish(this.fatal(thrown));
        return NEVER;
      })
      .finally(() => this.park());
    const state: FutureState = { kind: "local", id, done };
    void done.then((result) => (state.result = result));
    const slot = this.futures.push(state) - 1;
    return { ok: true, value: new Future(id, slot) };
  }

  private async runStep(id: string, cmd: RunCommand, timeoutAt: number): Promise<{ result: Result; attempts: number }> {
    const policy = cmd.options.retryPolicy ?? defaultRetryPolicy;
    const ctx = this.contextFor(id, cmd.name);
    for (let attempt = 1; ; attempt++) {
      try {
        return { result: { ok: true, value: await cmd.func(ctx, ...cmd.args) }, attempts: attempt };
      } catch (thrown) {
        const error = toError(thrown);
        const delay = isNonRetryable(error, cmd.options) ? null : (policy ?? never).delayBefore(attempt);
        if (delay === null || this.effects.now() + delay >= timeoutAt) {
          const exhausted = attempt > 1 && delay === null && !isNonRetryable(error, cmd.options);
          return { result: { ok: false, error: exhausted ? retriesExhausted(cmd.name, attempt, error) : error }, attempts: attempt };
        }
        await this.effects.delay(delay);
      }
    }
  }

  /** Stores a call's result durably and returns what the caller sees (the stored form). */
  private async record(id: string, result: Result, attempts: number): Promise<Result> {
    let value: Value;
    let state: "resolved" | "rejected" = result.ok ? "resolved" : "rejected";
    try {
      value = result.ok ? encodeValue(result.value, `the result of ${id}`) : encodeValue(toError(result.error));
    } catch (error) {
      state = "rejected";
      value = encodeValue(toError(error));
    }
    const settled = await this.effects.settle(id, state, value, attempts);
    return resultOf(settled);
  }

  private async await(ref: FutureRef): Promise<Result> {
    const state = this.futures[ref.slot];
    if (!state || state.id !== ref.id) {
      return { ok: false, error: new TypeError(`future ${ref.id} does not belong to this execution`) };
    }
    if (state.kind === "durable") {
      if (state.record.state !== "pending") return resultOf(state.record);
      this.blocked.add(state.id);
      this.park();
      return NEVER;
    }
    if (state.result) return state.result;
    this.park();
    const result = await state.done;
    this.unpark();
    return result;
  }

  private async race(refs: FutureRef[], scope: Scope): Promise<Result> {
    if (refs.length === 0) return { ok: false, error: new TypeError("ctx.race needs at least one future") };
    const id = scope.childId({});
    const record = await this.create(scope, { id, kind: "race", func: "race", timeoutAt: scope.timeoutAt, param: {}, tags: {} });
    const states = refs.map((ref) => this.futures[ref.slot]);
    if (states.some((state, i) => !state || state.id !== refs[i]!.id)) {
      return { ok: false, error: new TypeError("ctx.race was given a future from another execution") };
    }
    let winner: number;
    if (record.state !== "pending") {
      winner = decodeValue(record.value) as number;
    } else {
      const settled = firstSettled(states as FutureState[], this.effects.now());
      if (settled >= 0) winner = settled;
      else {
        const waiting = states.filter((state) => state!.kind === "durable").map((state) => state!.id);
        const local = states.flatMap((state, index) => (state!.kind === "local" ? [state!.done.then(() => index)] : []));
        waiting.forEach((waitId) => this.blocked.add(waitId));
        this.park();
        winner = await Promise.race(local.length ? local : [NEVER]);
        this.unpark();
        waiting.forEach((waitId) => this.blocked.delete(waitId));
      }
      await this.effects.settle(id, "resolved", encodeValue(winner), 1);
    }
    const result = await this.await(refs[winner]!);
    return result.ok ? { ok: true, value: { index: winner, value: result.value } } : result;
  }

  private createChild(
    scope: Scope,
    id: string,
    kind: ChildKind,
    func: string,
    param: Value,
    options: CallOptions,
    tags: Record<string, string>,
  ): Promise<PromiseRecord> {
    return this.create(scope, { id, kind, func, timeoutAt: this.deadlineOf(scope, options), param, tags: { ...options.tags, ...tags } });
  }

  private deadlineOf(scope: Scope, options: CallOptions): number {
    return options.timeout === undefined ? scope.timeoutAt : Math.min(this.effects.now() + options.timeout, scope.timeoutAt);
  }

  private async create(scope: Scope, spec: Omit<ChildSpec, "parentId">): Promise<PromiseRecord> {
    const record = await this.effects.create({ ...spec, parentId: scope.id });
    const recordedKind = record.tags[TAG.kind];
    const recordedFunc = record.tags[TAG.func];
    if (recordedKind !== undefined && (recordedKind !== spec.kind || recordedFunc !== spec.func)) {
      throw new Abort({
        type: "completed",
        state: "rejected",
        value: encodeValue(new DivergenceError(spec.id, `${recordedKind} ${recordedFunc}`, `${spec.kind} ${spec.func}`)),
      });
    }
    return record;
  }

  private durableFuture(record: PromiseRecord): Future<unknown> {
    const slot = this.futures.push({ kind: "durable", id: record.id, record }) - 1;
    return new Future(record.id, slot);
  }

  /** A strand stops making progress. When none is left, the run suspends on what it awaits. */
  private park(): void {
    this.active--;
    if (this.active > 0) return;
    // Let promise continuations already queued run first: a strand may be about to resume.
    setImmediate(() => {
      if (this.active > 0 || this.finished) return;
      // An async body may be awaiting something that is not a ctx call: it will come back.
      if (this.blocked.size === 0 && this.asyncRoot) return;
      if (this.blocked.size === 0) {
        this.finish({ type: "completed", state: "rejected", value: encodeValue(new Error("execution deadlocked: nothing to wait for")) });
        return;
      }
      this.finish({ type: "suspended", awaiting: [...this.blocked] });
    });
  }

  private unpark(): void {
    this.active++;
  }
}

/** Derives child ids: `${id}.1`, `${id}.2`, … in call order, unless a call names its own id. */
class Scope {
  private counter = 0;
  constructor(
    readonly id: string,
    readonly timeoutAt: number,
  ) {}

  childId(options: { id?: string }): string {
    this.counter++;
    return options.id ?? `${this.id}.${this.counter}`;
  }
}

function resultOf(record: PromiseRecord): Result {
  switch (record.state) {
    case "resolved":
      return { ok: true, value: decodeValue(record.value) };
    case "rejected":
      return { ok: false, error: decodeValue(record.value) ?? new PromiseRejectedError("51", "Rejected", `${record.id} was rejected`) };
    case "rejected_canceled":
      return { ok: false, error: new PromiseRejectedError("52", "Canceled", `${record.id} was canceled`) };
    case "rejected_timedout":
      return { ok: false, error: new PromiseRejectedError("53", "Timeout", `${record.id} timed out`) };
    case "pending":
      return { ok: false, error: new Error(`${record.id} is still pending`) };
  }
}

/**
 * The future that settled first, or -1. Durable promises carry their settle time, so a replay
 * after downtime still picks the one that really came first (a timer that fired before a late
 * signal wins, whatever their order in the list); a local call finished just now.
 */
function firstSettled(states: FutureState[], now: number): number {
  let winner = -1;
  let earliest = Number.POSITIVE_INFINITY;
  states.forEach((state, index) => {
    const at = state.kind === "local" ? (state.result !== undefined ? now : undefined) : state.record.state !== "pending" ? (state.record.settledAt ?? now) : undefined;
    if (at !== undefined && at < earliest) {
      earliest = at;
      winner = index;
    }
  });
  return winner;
}

function encodeArgs(func: string, args: unknown[], required: boolean): Value {
  try {
    return encodeCall(func, args);
  } catch (error) {
    // A local step may take live objects (clients, callbacks): they are passed again on every
    // replay, so only remote calls need storable arguments.
    if (required) throw error;
    return encodeValue({ func, args: "(not serializable)", version: 1 });
  }
}

function isNonRetryable(error: Error, options: CallOptions): boolean {
  if (error instanceof SerializationError || error instanceof PanicError) return true;
  if ((error as { retryable?: unknown }).retryable === false) return true;
  return (options.nonRetryableErrors ?? []).some((kind) => (typeof kind === "string" ? error.name === kind : error instanceof kind));
}

function retriesExhausted(name: string, attempts: number, cause: Error): Error {
  const error = new RetriesExhaustedError("50", "RetriesExhausted", `${name} failed ${attempts} times; last error: ${cause.message}`);
  (error as { cause?: unknown }).cause = { name: cause.name, message: cause.message };
  return error;
}

function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return typeof value === "object" && value !== null && typeof (value as Generator).next === "function" && typeof (value as Generator).throw === "function";
}

function isAsyncFunction(func: AnyFunction): boolean {
  return Object.prototype.toString.call(func) === "[object AsyncFunction]";
}

function isGeneratorFunction(func: AnyFunction): boolean {
  return Object.prototype.toString.call(func) === "[object GeneratorFunction]";
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object (${(value as { constructor?: { name?: string } }).constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}
