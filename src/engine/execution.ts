/**
 * The replay machine: drives a workflow generator, turns each yielded command into durable
 * promise operations through `Effects`, and decides how this run ends (completed, suspended on
 * pending promises, or abandoned). A run always starts from the top; calls recorded by earlier
 * runs return their stored results without running again.
 *
 * A step that runs here is recorded once, already settled: its result is all replay needs. Only
 * what others must see in flight gets a pending record first: sleeps, external promises, remote
 * calls and child workflows. Suspension is decided from state (strands.ts), never by waiting for
 * the event loop to go quiet.
 */
import { decodeValue, encodeValue, SerializationError } from "../protocol/codec.js";
import type { PromiseRecord } from "../protocol/records.js";
import { ADDRESS, parseAddress, TAG, toAddress } from "../protocol/tags.js";
import { createAsyncContext } from "./async-context.js";
import { systemClock, type Clock } from "./clock.js";
import {
  isYielded,
  COMMAND,
  type AnyFunction,
  type Command,
  type FutureRef,
  type PromiseCommand,
  type RpcCommand,
  type RunCommand,
  type TimerCommand,
} from "./commands.js";
import { DurablePromise, Future, WorkflowContext, type ExecutionInfo } from "./context.js";
import type { DeterminismGuard } from "./determinism.js";
import type { ChildKind, ChildSpec, Effects } from "./effects.js";
import { Cancelling, type CancellingExecution } from "./cancelling.js";
import { CancelledError, InvalidArgumentError, PanicError, StoreError } from "./errors.js";
import { LocalCall } from "./local-call.js";
import { unobserved, type Observer } from "./observer.js";
import { flowTags, type CallOptions } from "./options.js";
import type { Outcome } from "./outcome.js";
import { firstSettled, firstToComplete, type FutureState } from "./race.js";
import { divergenceOf, encodeArgs, recordedAsRun, resultOf, settledOf, type Result } from "./replay.js";
import { Scope } from "./scope.js";
import { runStep, type StepRun } from "./steps.js";
import { Strands } from "./strands.js";

export interface RootSpec {
  id: string;
  name: string;
  func: AnyFunction;
  args: unknown[];
  timeoutAt: number;
}

export interface ExecutionOptions {
  effects: Effects;
  /** The worker group: a remote call that names no target goes to any worker of it. */
  group: string;
  clock?: Clock;
  observer?: Observer;
  /** Values registered with `setDependency`, for `ctx.getDependency`. */
  dependencies?: ReadonlyMap<string, unknown>;
  /** Traps Date.now, Math.random, timers and fetch in generator bodies; absent when off. */
  guard?: DeterminismGuard;
  /**
   * Replay the recorded history and stop at the first call that has no record, running and
   * writing nothing (`reprise check`): the run ends "caught-up", suspended, completed, or with a
   * DivergenceError.
   */
  replayOnly?: boolean;
}

/** Which call a child promise is for: checked against its record on replay. */
type ChildKey = Pick<ChildSpec, "id" | "kind" | "func">;
/** What a child promise is created with. */
type ChildWrite = Pick<ChildSpec, "param" | "timeoutAt" | "tags">;

/** A call run here: its outcome, its attempts, and whether a cancellation interrupted it (a step) or reached it (a child workflow). */
interface CallRun extends StepRun {
  cancelledBy: Error | undefined;
  delivered: boolean;
}

/** Ends the whole execution from anywhere inside it, bypassing the generators' try/catch. */
class Abort {
  constructor(readonly outcome: Outcome) {}
}

/** Runs one execution. Its members that are not private, besides run and cancel, are what its Cancelling reads. */
export class Execution implements CancellingExecution {
  readonly effects: Effects;
  private readonly clock: Clock;
  private readonly observer: Observer;
  private readonly strands = new Strands(() => this.idle());
  private readonly futures: FutureState[] = [];
  private finished = false;
  private asyncRoot = false;
  private readonly cancelling: Cancelling;
  private resolveOutcome!: (outcome: Outcome) => void;
  private readonly outcome = new Promise<Outcome>((resolve) => (this.resolveOutcome = resolve));
  /** What every context of this execution shares. */
  private readonly contextInfo: ExecutionInfo;
  // The options' parts are kept, not the options object: thousands of executions are in flight at once.
  private readonly group: string;
  private readonly guard: DeterminismGuard | undefined;
  readonly replayOnly: boolean;

  constructor(
    private readonly root: RootSpec,
    options: ExecutionOptions,
  ) {
    this.effects = options.effects;
    this.clock = options.clock ?? systemClock;
    this.observer = options.observer ?? unobserved;
    this.group = options.group;
    this.guard = options.guard;
    this.replayOnly = options.replayOnly === true;
    this.contextInfo = new RunInfo(root.id, options.dependencies ?? new Map<string, unknown>(), this.clock);
    // Itself, not an object of closures: one execution of thousands in flight costs no more.
    this.cancelling = new Cancelling(this);
  }

  get rootId(): string {
    return this.root.id;
  }

  /** Runs until the root finishes or nothing can move without an outside event. */
  run(): Promise<Outcome> {
    this.strands.start();
    if (this.observer === unobserved) {
      // Nobody observes: no observed promise held for as long as the run lasts.
      void this.runRoot();
      return this.outcome;
    }
    const { id, name } = this.root;
    // Observed until the outcome is known: a suspended run never returns from its generator.
    void this.observer.observe({ id, func: name, kind: "root" }, () => {
      void this.runRoot();
      return this.outcome.then(observedResult);
    });
    return this.outcome;
  }

  private async runRoot(): Promise<void> {
    try {
      const { id, name, func, args, timeoutAt } = this.root;
      const reading = this.cancelling.readRequest();
      if (reading) await reading;
      const scope = new Scope(id, timeoutAt);
      const result = await this.invoke(scope, name, func, args);
      if (this.cancelling.asked && !this.replayOnly) await this.cancelling.outstanding(this.futures);
      // Once the cancellation reached the body, the execution ends cancelled, whatever the body
      // did with the CancelledError (docs/cancellation.md).
      const settled = scope.delivered ? this.cancelling.settled(1) : settledOf(result, 1, `the return value of ${name}`);
      this.finish({ type: "completed", state: settled.state, value: settled.value });
    } catch (thrown) {
      this.finish(this.fatal(thrown));
    }
  }

  /** Told while running that the execution is asked to cancel (Cancelling.ask). */
  cancel(reason?: string): void {
    if (!this.finished) this.cancelling.ask(reason);
  }

  private finish(outcome: Outcome): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveOutcome(outcome);
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

  /** No strand runs: the run suspends on what the blocked strands await. */
  private idle(): void {
    if (this.finished) return;
    if (this.asyncRoot) {
      // An async body resumes after each answer in a later microtask, not as a counted strand:
      // look again once those have run. (Its body may only await ctx calls, docs/workflows.md.)
      this.clock.defer(() => {
        if (this.finished || !this.strands.idle) return;
        const awaiting = this.strands.awaiting();
        if (awaiting.length > 0) this.finish({ type: "suspended", awaiting });
      });
      return;
    }
    const awaiting = this.strands.awaiting();
    if (awaiting.length > 0) this.finish({ type: "suspended", awaiting });
    else this.finish({ type: "completed", state: "rejected", value: encodeValue(new Error("execution deadlocked: nothing to wait for")) });
  }

  /**
   * Calls a function with a fresh context: drives it if it is a generator, awaits it otherwise.
   * Not an async function: a generator's run is drive's own promise, with no frame around it kept
   * for as long as the run lasts.
   */
  private invoke(scope: Scope, name: string, func: AnyFunction, args: unknown[]): Promise<Result> {
    const id = scope.id;
    if (id === this.root.id && isAsyncFunction(func)) return this.invokeAsync(scope, name, func, args);
    let produced: unknown;
    try {
      produced = func(this.contextFor(id, name), ...args);
    } catch (error) {
      return Promise.resolve({ ok: false, error });
    }
    if (isAsyncGenerator(produced)) {
      // An `async function*` body would be driven as a generator whose next() returns promises: it would never progress.
      return Promise.resolve({ ok: false, error: asyncGeneratorRefused(name) });
    }
    if (!isGenerator(produced)) return resultOfAwaited(produced);
    return this.drive(produced, scope, name);
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
      getDependency: (name) => this.contextInfo.getDependency(name),
      perform: (cmd) => this.perform(cmd, scope),
    });
    let produced: unknown;
    try {
      produced = func(ctx, ...args);
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.strands.stop();
    }
    try {
      return { ok: true, value: await produced };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** One ctx call of an async workflow. An Abort or a store failure ends the run there and then. */
  private perform(cmd: Command, scope: Scope): Promise<unknown> {
    this.strands.start();
    let handled: Result | Promise<Result>;
    try {
      handled = this.handleOrRefuse(cmd, scope);
    } catch (thrown) {
      // An Abort (a panic, a divergence) ends the run below, never in the body's own try/catch.
      handled = Promise.reject(thrown);
    }
    return Promise.resolve(handled).then(
      (result) => {
        this.strands.stop();
        this.cancelling.noteDelivery(result, scope);
        if (result.ok) return result.value;
        throw result.error;
      },
      (thrown: unknown) => {
        this.finish(this.fatal(thrown));
        return forever();
      },
    );
  }

  private contextFor(id: string, name: string): WorkflowContext {
    return new WorkflowContext(id, name, this.contextInfo);
  }

  private async drive(gen: Generator<unknown, unknown, unknown>, scope: Scope, name: string): Promise<Result> {
    const guard = this.guard;
    const where = guard ? { executionId: this.root.id, func: name } : undefined;
    let input: Result = { ok: true, value: undefined };
    const resume = () => (input.ok ? gen.next(input.value) : gen.throw(input.error));
    for (;;) {
      let step: IteratorResult<unknown, unknown>;
      try {
        step = guard ? guard.run(where!, resume) : resume();
      } catch (error) {
        return { ok: false, error };
      }
      if (step.done) return { ok: true, value: step.value };
      if (!isYielded(step.value)) {
        input = {
          ok: false,
          error: new TypeError(`a workflow yielded ${describe(step.value)}; use \`yield*\` (with a star) on ctx calls, e.g. \`yield* ctx.run(step)\``),
        };
        continue;
      }
      const handled = this.handleOrRefuseNow(step.value[COMMAND], scope);
      if (handled instanceof Promise) {
        // A refusal is caught where the answer is awaited: no `catch` promise chained onto every step's answer.
        try {
          input = await handled;
        } catch (error) {
          input = refusedOrThrown(error);
        }
      } else input = handled;
      this.cancelling.noteDelivery(input, scope);
    }
  }

  /** A call the workflow got wrong (an unstorable argument, an id the store refuses) is thrown back into it. */
  private handleOrRefuse(cmd: Command, scope: Scope): Result | Promise<Result> {
    const handled = this.handleOrRefuseNow(cmd, scope);
    return handled instanceof Promise ? handled.catch(refusedOrThrown) : handled;
  }

  /** handle, with what it refuses at once turned into the call's result; a later refusal is the caller's to catch (refusedOrThrown). */
  private handleOrRefuseNow(cmd: Command, scope: Scope): Result | Promise<Result> {
    try {
      return this.handle(cmd, scope);
    } catch (error) {
      return refusedOrThrown(error);
    }
  }

  private handle(cmd: Command, scope: Scope): Promise<Result> | Result {
    switch (cmd.kind) {
      case "run":
        return this.handleRun(cmd, scope);
      case "rpc": {
        const id = scope.childId(cmd.options);
        if (this.cancelling.reaches(scope)) return this.rpcUnderCancellation(scope, id, cmd);
        return this.durableCall(scope, { id, kind: "rpc", func: cmd.name }, cmd.deferred, () => this.rpcWrite(scope, cmd));
      }
      case "timer": {
        const id = scope.childId({});
        if (this.cancelling.reaches(scope)) return this.cancelling.sleepOrPromise(id, !cmd.deferred, () => this.handleTimer(id, cmd, scope));
        return this.handleTimer(id, cmd, scope);
      }
      case "promise": {
        const id = scope.childId({ id: cmd.id });
        if (this.cancelling.reaches(scope)) return this.cancelling.sleepOrPromise(id, false, () => this.handlePromise(id, cmd, scope));
        return this.handlePromise(id, cmd, scope);
      }
      case "await":
        return this.await(cmd.future, scope);
      case "race":
        return this.race(cmd.futures, scope);
      case "patch":
        return this.patch(cmd.name, scope);
      case "panic":
        throw new Abort({ type: "completed", state: "rejected", value: encodeValue(new PanicError(`${scope.id}: ${cmd.message}`)) });
    }
  }

  private rpcWrite(scope: Scope, cmd: RpcCommand): ChildWrite {
    const target = cmd.options.target ? resolveTarget(cmd.options.target) : ADDRESS.anycast(this.group);
    const tags = { ...cmd.options.tags, ...flowTags(cmd.options), [TAG.target]: target, [TAG.scope]: "global" };
    return { param: encodeArgs(cmd.name, cmd.args, true), timeoutAt: this.deadlineOf(scope, cmd.options), tags };
  }

  private handleTimer(id: string, cmd: TimerCommand, scope: Scope): Result | Promise<Result> {
    const until = cmd.until ?? this.clock.now() + (cmd.ms ?? 0);
    return this.durableCall(scope, { id, kind: "sleep", func: "sleep" }, cmd.deferred, () => ({ param: {}, timeoutAt: until, tags: { [TAG.timer]: "true" } }));
  }

  private handlePromise(id: string, cmd: PromiseCommand, scope: Scope): Promise<Result> {
    const write = () => ({
      param: cmd.data === undefined ? {} : encodeValue(cmd.data, "the promise's data"),
      timeoutAt: this.deadlineOf(scope, { timeout: cmd.timeout }),
      tags: cmd.tags ?? {},
    });
    return Promise.resolve(this.ensure(scope, { id, kind: "promise", func: "promise" }, write)).then((record): Result => {
      const slot = this.futures.push({ kind: "durable", id, record }) - 1;
      return { ok: true, value: new DurablePromise(id, slot) };
    });
  }

  /**
   * A remote call reached while the cancellation is being delivered. Never created: it throws.
   * In flight: its execution is asked to cancel (durably, before this strand moves on) and this
   * call throws. Finished before we asked: its result stands. The request we made (tagged with
   * this execution as its origin) is what tells every later replay that this call was cancelled,
   * even if the callee finished meanwhile.
   */
  private async rpcUnderCancellation(scope: Scope, id: string, cmd: RpcCommand): Promise<Result> {
    const record = await this.storedRecord(id);
    if (!record) return this.cancelling.result();
    this.checkReplay(record, "rpc", cmd.name);
    // Only a future of it is taken (beginRpc): replayed as it is, cancelled where it is awaited or at the end.
    const passedBefore = cmd.deferred || (record.state !== "pending" && !(await this.cancelling.weCancelled(id)));
    if (passedBefore) {
      return this.durableCall(scope, { id, kind: "rpc", func: cmd.name }, cmd.deferred, () => this.rpcWrite(scope, cmd));
    }
    if (record.state === "pending") await this.cancelling.cancelChild(id);
    return this.cancelling.result();
  }

  /** A step or child workflow run here: now, or (beginRun) as a strand of its own. */
  private handleRun(cmd: RunCommand, scope: Scope): Promise<Result> | Result {
    const id = scope.childId(cmd.options);
    const type = functionType(cmd.func);
    if (type === "[object AsyncGeneratorFunction]") return { ok: false, error: asyncGeneratorRefused(id) };
    const kind: ChildKind = type === "[object GeneratorFunction]" ? "workflow" : "step";
    if (!cmd.deferred) return this.runHere(id, kind, cmd, scope);
    const call = new LocalCall(id);
    this.strands.start();
    Promise.resolve(this.runHere(id, kind, cmd, scope))
      .catch((error: unknown) => {
        if (isRefusal(error)) return { ok: false, error } as Result;
        throw error;
      })
      .then(
        (result) => {
          call.complete(result);
          this.strands.stop();
        },
        (thrown: unknown) => this.finish(this.fatal(thrown)),
      );
    const slot = this.futures.push({ kind: "local", id, call }) - 1;
    return { ok: true, value: new Future(id, slot) };
  }

  /**
   * Answers from the record when there is a settled one; otherwise runs the call and stores its
   * result: in one write for a step, by settling its pending record for a child workflow (created
   * first, so that its own children and the dashboard see it in flight).
   *
   * Every step of every workflow passes here, so it is a chain of plain functions and `then`s
   * rather than one async function: the async frame suspended at each step's write (and the one
   * in TaskEffects.recordedStep) cost about 500 bytes of garbage per step, 5% of a step's
   * allocations (bench/allocation.ts). A call answered from its settled record is answered at
   * once, not through a promise: a replay runs through its recorded calls with no turn of the
   * microtask queue between them (and holds nothing meanwhile).
   */
  private runHere(id: string, kind: ChildKind, cmd: RunCommand, scope: Scope): Result | Promise<Result> {
    // Awaited only when the store must be asked: a run's calls are mostly answered from what it knows.
    const found = this.recorded(id);
    return found instanceof Promise ? found.then((record) => this.runKnown(id, kind, cmd, scope, record)) : this.runKnown(id, kind, cmd, scope, found);
  }

  /** runHere once the call's record, if any, is known. What it throws, it rejects with. */
  private runKnown(id: string, kind: ChildKind, cmd: RunCommand, scope: Scope, record: PromiseRecord | undefined): Result | Promise<Result> {
    try {
      if (record) {
        this.checkReplay(record, kind, cmd.name);
        if (record.state !== "pending") return resultOf(record);
      }
      // A step not yet recorded, reached while the cancellation is being delivered: the call that throws.
      if (kind === "step" && this.cancelling.reaches(scope) && !record) return this.runUnlessStored(id, cmd, scope);
      return this.runUnrecorded(id, kind, cmd, scope, record);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A step under cancellation with no record known here: cancelled, unless the store has one after all. */
  private async runUnlessStored(id: string, cmd: RunCommand, scope: Scope): Promise<Result> {
    if (!(await this.storedRecord(id))) return this.cancelling.result();
    return this.runUnrecorded(id, "step", cmd, scope, undefined);
  }

  /** Runs a call with no settled record (`record`: its pending one, if any) and stores its result. May throw. */
  private runUnrecorded(id: string, kind: ChildKind, cmd: RunCommand, scope: Scope, record: PromiseRecord | undefined): Promise<Result> {
    this.stopIfReplayOnly(id);
    // Built only when something is written: a replay answered from its record encodes nothing.
    const spec: ChildSpec = {
      id,
      kind,
      func: cmd.name,
      parentId: scope.id,
      param: encodeArgs(cmd.name, cmd.args, false),
      timeoutAt: this.deadlineOf(scope, cmd.options),
      tags: cmd.options.tags ?? {},
    };
    if (record || kind === "step") return this.runAndStore(cmd, scope, spec, record);
    return this.effects.create(spec).then((created) => {
      const pending = this.checkReplay(created, kind, cmd.name);
      return pending.state !== "pending" ? resultOf(pending) : this.runAndStore(cmd, scope, spec, pending);
    });
  }

  /** Runs the call `spec` describes (`record`: its pending record, if any) and stores what it did. May throw. */
  private runAndStore(cmd: RunCommand, scope: Scope, spec: ChildSpec, record: PromiseRecord | undefined): Promise<Result> {
    const timeoutAt = record?.timeoutAt ?? spec.timeoutAt;
    const startedAt = this.clock.now();
    const running = spec.kind === "workflow" ? this.childHere(spec.id, cmd, scope, timeoutAt) : this.stepHere(spec.id, cmd, scope, timeoutAt);
    // A step that returns at once, with nothing observing it, is answered with no promise in between.
    if (!(running instanceof Promise)) return this.store(spec, record, running, startedAt);
    return running.then((ran) => (ran === undefined ? forever<Result>() : this.store(spec, record, ran, startedAt)));
  }

  /** Stores what the call `spec` describes did: its pending record settled, or its record made in one write. */
  private store(spec: ChildSpec, record: PromiseRecord | undefined, ran: CallRun, startedAt: number): Promise<Result> {
    const { id, kind, func } = spec;
    // A step the cancellation interrupted is recorded as cancelled (what it did is kept as the
    // error's `stepOutcome`); a child workflow the cancellation reached ends cancelled.
    const settled = ran.cancelledBy
      ? { state: "rejected" as const, value: encodeValue(interrupted(this.cancelling.error(), ran.result)), attempts: ran.attempts, startedAt }
      : ran.delivered
        ? { ...this.cancelling.settled(ran.attempts), startedAt }
        : settledOf(ran.result, ran.attempts, `the result of ${id}`, startedAt);
    const write = record ? this.effects.settle(id, settled) : this.effects.record(spec, settled);
    return write.then((stored) => {
      if (!record) this.checkReplay(stored, kind, func);
      return recordedAsRun(stored, settled, ran.result) ?? resultOf(stored);
    });
  }

  /** A step run here, observed when something observes calls. */
  private stepHere(id: string, cmd: RunCommand, scope: Scope, timeoutAt: number): CallRun | Promise<CallRun> {
    if (this.observer === unobserved) return this.runLocalStep(id, cmd, timeoutAt);
    let run: CallRun | undefined;
    const observed = this.observer.observe({ id, func: cmd.name, kind: "step", parentId: scope.id }, async () => {
      run = await this.runLocalStep(id, cmd, timeoutAt);
      return run.result;
    });
    return observed.then(() => run!);
  }

  /**
   * A child workflow run here as a call of this run: observed until it returns, or until the
   * run's outcome is known (undefined then: the run suspended inside it).
   */
  private async childHere(id: string, cmd: RunCommand, scope: Scope, timeoutAt: number): Promise<CallRun | undefined> {
    const childScope = new Scope(id, timeoutAt);
    let runEnded = false;
    const body = (): Promise<Result> => {
      const ended = this.outcome.then((): Result => ((runEnded = true), { ok: true, value: undefined }));
      return Promise.race([this.invoke(childScope, cmd.name, cmd.func, cmd.args), ended]);
    };
    const result = await (this.observer === unobserved ? body() : this.observer.observe({ id, func: cmd.name, kind: "workflow", parentId: scope.id }, body));
    if (runEnded) return undefined;
    return { result, attempts: 1, cancelledBy: undefined, delivered: childScope.delivered };
  }

  /** A step's function run here, with its retries; a cancellation that comes meanwhile aborts its signal (Cancelling.stepBegun). */
  private runLocalStep(id: string, cmd: RunCommand, timeoutAt: number): CallRun | Promise<CallRun> {
    const ctx = this.contextFor(id, cmd.name);
    this.cancelling.stepBegun(ctx);
    const ended = (ran: StepRun): CallRun => {
      this.cancelling.stepEnded(ctx);
      return { result: ran.result, attempts: ran.attempts, cancelledBy: ctx.cancelledBy, delivered: false };
    };
    const ran = runStep(() => cmd.func(ctx, ...cmd.args), cmd.name, cmd.options, timeoutAt, this.clock, () => ctx.cancelledBy !== undefined);
    return ran instanceof Promise ? ran.then(ended) : ended(ran);
  }

  /**
   * A call that lives in the store until the outside world settles it: a sleep or a remote call.
   * Plain functions and a `then`, as runHere: a replayed call is answered at once, and a call
   * waiting on its write keeps no async frame of its own (a sleeper in flight held three).
   */
  private durableCall(scope: Scope, key: ChildKey, deferred: boolean, write: () => ChildWrite): Result | Promise<Result> {
    const ensured = this.ensure(scope, key, write);
    if (ensured instanceof Promise) return ensured.then((record) => this.futureOf(record, deferred));
    return this.futureOf(ensured, deferred);
  }

  /** A durable call's future (deferred), or what awaiting it gives now. */
  private futureOf(record: PromiseRecord, deferred: boolean): Result | Promise<Result> {
    const slot = this.futures.push({ kind: "durable", id: record.id, record }) - 1;
    const future = new Future(record.id, slot);
    return deferred ? { ok: true, value: future } : this.await(future);
  }

  /**
   * The child's record: a settled one known already (nothing encoded, nothing sent), else created
   * by the store, which answers with the record an earlier run made if there is one.
   */
  private ensure(scope: Scope, key: ChildKey, write: () => ChildWrite): PromiseRecord | Promise<PromiseRecord> {
    const known = this.knownRecord(key.id);
    if (known && known.state !== "pending") return this.checkReplay(known, key.kind, key.func);
    if (this.replayOnly) {
      if (known) return this.checkReplay(known, key.kind, key.func);
      this.stopIfReplayOnly(key.id);
    }
    const { param, timeoutAt, tags } = write();
    const spec: ChildSpec = { id: key.id, kind: key.kind, func: key.func, parentId: scope.id, param, timeoutAt, tags };
    return this.effects.create(spec).then((created) => this.checkReplay(created, key.kind, key.func));
  }

  /** The record of `id` if there is one, from what is known or else from the store. */
  recorded(id: string): PromiseRecord | undefined | Promise<PromiseRecord | undefined> {
    const known = this.effects.lookup(id);
    if (known === "absent") return undefined;
    return known ?? this.effects.read(id);
  }

  /**
   * The record of `id`, asking the store when this process thinks there is none: "absent" is a
   * hint a write can afford to trust (the store answers a create with the record it has), but
   * the cancellation decides not to write on it.
   */
  storedRecord(id: string): PromiseRecord | Promise<PromiseRecord | undefined> {
    return this.knownRecord(id) ?? this.effects.read(id);
  }

  /** The record of `id` this process has at hand, if any (no I/O). */
  knownRecord(id: string): PromiseRecord | undefined {
    const known = this.effects.lookup(id);
    return known === "absent" ? undefined : known;
  }

  /** In a replay-only run, a call with no record is where the history ends: stop there. */
  private stopIfReplayOnly(position: string): void {
    if (this.replayOnly) throw new Abort({ type: "caught-up", position });
  }

  /** A record made by another call at this position ends the execution with a DivergenceError. */
  private checkReplay(record: PromiseRecord, kind: ChildKind, func: string): PromiseRecord {
    const divergence = divergenceOf(record, kind, func);
    if (divergence) throw new Abort({ type: "completed", state: "rejected", value: encodeValue(divergence) });
    return record;
  }

  private await(ref: FutureRef, scope?: Scope): Promise<Result> | Result {
    const state = this.futures[ref.slot];
    if (!state || state.id !== ref.id) {
      return { ok: false, error: new TypeError(`future ${ref.id} does not belong to this execution`) };
    }
    if (state.kind === "local") return state.call.wait(this.strands);
    if (state.record.state !== "pending") return resultOf(state.record);
    if (scope && this.cancelling.reaches(scope)) return this.cancelling.awaited(state);
    // Only the outside world can settle it: this strand is done for this run.
    this.strands.block([state.id]);
    return forever();
  }

  private async race(refs: FutureRef[], scope: Scope): Promise<Result> {
    if (refs.length === 0) return { ok: false, error: new TypeError("ctx.race needs at least one future") };
    const id = scope.childId({});
    const states = refs.map((ref) => this.futures[ref.slot]);
    if (states.some((state, i) => !state || state.id !== refs[i]!.id)) {
      return { ok: false, error: new TypeError("ctx.race was given a future from another execution") };
    }
    const record = await this.recorded(id);
    if (record) this.checkReplay(record, "race", "race");
    let winner: number;
    if (record && record.state !== "pending") {
      winner = decodeValue(record.value) as number;
    } else if (this.cancelling.reaches(scope)) {
      // No winner yet: the race is where the cancellation lands.
      return this.cancelling.race(states as FutureState[]);
    } else {
      this.stopIfReplayOnly(id);
      const settled = firstSettled(states as FutureState[], this.clock.now());
      winner = settled >= 0 ? settled : await firstToComplete(states as FutureState[], this.strands);
      const result = { state: "resolved", value: encodeValue(winner), attempts: 1 } as const;
      const spec: ChildSpec = { id, kind: "race", func: "race", parentId: scope.id, param: {}, timeoutAt: scope.timeoutAt, tags: {} };
      const stored = record ? await this.effects.settle(id, result) : this.checkReplay(await this.effects.record(spec, result), "race", "race");
      // Whatever was stored first is the winner every replay sees.
      if (stored.state === "resolved") winner = decodeValue(stored.value) as number;
    }
    const result = await this.await(refs[winner]!);
    return result.ok ? { ok: true, value: { index: winner, value: result.value } } : result;
  }

  /**
   * A patch point: recorded under `${scope}.patch.${name}`, outside the numbered sequence. With no
   * record yet, the execution runs the new code unless its history already holds the call that
   * comes next in this scope: then it passed this point with the old code, and keeps to it.
   */
  private async patch(name: string, scope: Scope): Promise<Result> {
    if (name.length === 0) return { ok: false, error: new TypeError("ctx.patched needs a patch name") };
    const id = `${scope.id}.patch.${name}`;
    const recorded = await this.recorded(id);
    if (recorded) return { ok: true, value: decodeValue(this.checkReplay(recorded, "patch", name).value) === true };
    const passedBefore = (await this.recorded(scope.nextChildId())) !== undefined;
    // A replay-only run answers as a real run would, without writing the answer down.
    if (this.replayOnly) return { ok: true, value: !passedBefore };
    const spec: ChildSpec = { id, kind: "patch", func: name, parentId: scope.id, param: {}, timeoutAt: scope.timeoutAt, tags: {} };
    const stored = this.checkReplay(await this.effects.record(spec, { state: "resolved", value: encodeValue(!passedBefore), attempts: 1 }), "patch", name);
    return { ok: true, value: decodeValue(stored.value) === true };
  }

  private deadlineOf(scope: Scope, options: CallOptions): number {
    return options.timeout === undefined ? scope.timeoutAt : Math.min(this.clock.now() + options.timeout, scope.timeoutAt);
  }
}

/** What every context of one execution shares: one object, not one of closures (thousands of executions are in flight at once). */
class RunInfo implements ExecutionInfo {
  constructor(
    readonly rootId: string,
    private readonly dependencies: ReadonlyMap<string, unknown>,
    private readonly clock: Clock,
  ) {}

  getDependency(name: string): unknown {
    const dependencies = this.dependencies;
    if (!dependencies.has(name)) {
      const known = [...dependencies.keys()];
      throw new Error(`dependency "${name}" is not set; call reprise.setDependency("${name}", value)` + (known.length ? ` (set: ${known.join(", ")})` : ""));
    }
    return dependencies.get(name);
  }

  now(): number {
    return this.clock.now();
  }
}

/** What a plain function's return value (a promise or not) comes to. */
async function resultOfAwaited(produced: unknown): Promise<Result> {
  try {
    return { ok: true, value: await produced };
  } catch (error) {
    return { ok: false, error };
  }
}

/** How a run looks to an observer: failed when it completed with an error, else fine. */
function observedResult(outcome: Outcome): { ok: boolean; error?: unknown } {
  if (outcome.type !== "completed" || outcome.state === "resolved") return { ok: true };
  return { ok: false, error: decodeValue(outcome.value) };
}

/** The CancelledError recorded for a step the cancellation interrupted, with what the step itself did. */
function interrupted(error: CancelledError, result: Result): CancelledError {
  const stepOutcome = result.ok ? "resolved" : `rejected: ${result.error instanceof Error ? result.error.message : String(result.error)}`;
  return Object.assign(error, { stepOutcome });
}

/** A promise that never settles, made fresh each time: a shared one would keep every suspended strand's continuation alive. */
function forever<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** Refusals the workflow gets back as an error of the call: an unstorable value, a request the store refused. */
function isRefusal(error: unknown): boolean {
  return error instanceof SerializationError || (error instanceof StoreError && error.status === 400);
}

/** A refusal as the call's result; anything else goes on up. */
function refusedOrThrown(error: unknown): Result {
  if (isRefusal(error)) return { ok: false, error };
  throw error;
}

/** A target option (group name or address) as an address. */
function resolveTarget(target: string): string {
  if (!parseAddress(target)) throw new Error(`target "${target}" is neither a group name nor an address like poll://any@group`);
  return toAddress(target);
}

function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return typeof value === "object" && value !== null && typeof (value as Generator).next === "function" && typeof (value as Generator).throw === "function";
}

function asyncGeneratorRefused(what: string): InvalidArgumentError {
  return new InvalidArgumentError(`${what}: an async generator (async function*) cannot be a workflow or a step; write function* and yield* the ctx calls`);
}

function isAsyncGenerator(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as AsyncGenerator)[Symbol.asyncIterator] === "function";
}

function isAsyncFunction(func: AnyFunction): boolean {
  return functionType(func) === "[object AsyncFunction]";
}

/** `[object GeneratorFunction]`, `[object AsyncFunction]`, `[object AsyncGeneratorFunction]` or `[object Function]`. */
function functionType(func: AnyFunction): string {
  return Object.prototype.toString.call(func);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object (${(value as { constructor?: { name?: string } }).constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}
