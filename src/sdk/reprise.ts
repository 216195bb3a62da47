/**
 * Reprise: the one object a user learns. Register generator functions, run them by id, and they
 * survive crashes: every `yield* ctx.run(...)` is a durable checkpoint.
 *
 *   const reprise = new Reprise();                      // embedded: ./reprise.db, no server
 *   const reprise = new Reprise({ url, group });        // a worker of a Reprise server
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { systemClock, type Clock } from "../engine/clock.js";
import type { AnyFunction } from "../engine/commands.js";
import { DeterminismGuard, describeViolation, type DeterminismMode } from "../engine/determinism.js";
import { ConflictError, InvalidArgumentError, StoreError } from "../engine/errors.js";
import { flowTags, Options, splitOptions, type CallOptions } from "../engine/options.js";
import { encodeCall, rootTags } from "../protocol/calls.js";
import { SerializationError } from "../protocol/codec.js";
import { funcOf } from "../tree/build-tree.js";
import type { FlowDeclaration, PromiseRecord, TaskRecord } from "../protocol/records.js";
import type { RequestOf, Response } from "../protocol/requests.js";
import { ADDRESS, TAG, toAddress } from "../protocol/tags.js";
import { createLogger, type Logger, type LogLevel } from "../observability/logger.js";
import { resolveLimits, type Limits } from "../protocol/limits.js";
import type { Durability } from "../store/durability.js";
import { isRetention, RETENTION_EXPECTED } from "../protocol/retention.js";
import type { Store } from "../store/store.js";
import type { Transport } from "../transport/transport.js";
import { Admission, DEFAULT_MAX_RUNNING } from "./admission.js";
import { cancelExecution, type CancelResult } from "../engine/cancel-request.js";
import { action, ProtocolClient } from "./client.js";
import { outcomeOf, type Handle } from "./handle.js";
import { checkId } from "./ids.js";
import { Promises } from "./promises.js";
import { liveEmbeddedNonces } from "./recovery.js";
import { Registry, type RegisterOptions } from "./registry.js";
import { Schedules } from "./schedules.js";
import { Sweeper } from "./sweeper.js";
import { Waiters, type PollAnswer } from "./waiters.js";
import { openTransport } from "./transport-factory.js";
import { Worker } from "./worker.js";

export interface RepriseOptions {
  /** Embedded mode: a SQLite file path (default "./reprise.db"), ":memory:", a postgres:// URL, or a Store. */
  store?: string | Store;
  /**
   * Embedded SQLite: what an acknowledged step survives. "power-loss" (default) fsyncs every
   * commit; "process-crash" survives a crash of this process but may lose the last steps to a
   * power loss, for more speed where an fsync is slow.
   */
  durability?: Durability;
  /**
   * Embedded store: size limits, e.g. `{ maxValueBytes: 8 * 1024 * 1024 }` for step results and
   * arguments larger than the default 3 MiB. With a server, its `--max-value-bytes` decides.
   */
  limits?: Partial<Limits>;
  /**
   * Embedded store: how long a finished execution is kept before it is deleted, in ms (default 7
   * days; 0 keeps them for ever). Reusing an id after its execution was deleted starts it again.
   * With a server, its `--retention` decides. See docs/retention.md.
   */
  retention?: number;
  /** Worker mode: the Reprise (or Resonate) server to connect to. */
  url?: string;
  /** Bearer token for the server. */
  authToken?: string;
  /** The worker group this process serves (default "default"). */
  group?: string;
  /** This process's id within the group (default: generated). */
  pid?: string;
  /** Task lease in ms (default 15 s embedded, 30 s with a server); heartbeats renew it. */
  ttl?: number;
  /** Default timeout of an execution, in ms (default 24 h). */
  timeout?: number;
  logLevel?: LogLevel;
  /** Bring your own transport (tests, custom networks). */
  transport?: Transport;
  /** The clock executions read (tests inject a virtual one: `reprise/testing`). Default: the system clock. */
  clock?: Clock;
  /**
   * Trap Date.now, new Date(), Math.random, crypto.randomUUID, timers and fetch in generator
   * workflow bodies: "warn" logs each place once, "error" throws there. Default "warn", and "off"
   * when NODE_ENV is production (the check costs a little on every step).
   */
  determinism?: DeterminismMode;
}

/** A workflow's arguments, optionally followed by per-call Options (`reprise.options({ timeout })`). */
type ArgsWithOptions<A extends unknown[]> = A | [...A, Options];

/** What `register` returns: shortcuts bound to the registered function, its arguments typed. */
export interface Registered<A extends unknown[], R> {
  run(id: string, ...args: ArgsWithOptions<A>): Promise<R>;
  beginRun(id: string, ...args: ArgsWithOptions<A>): Promise<Handle<R>>;
}

type WorkflowArgs<F> = F extends (ctx: never, ...args: infer A) => unknown ? A : never;
type WorkflowResult<F> = F extends (...args: never[]) => Generator<unknown, infer R, unknown>
  ? R
  : F extends (...args: never[]) => infer R
    ? Awaited<R>
    : never;

/** The default of a result type the caller did not name (`run<T>` names it): no real result has this type. */
interface Unnamed {
  readonly "no result type named": true;
}
/** `A` when the caller named the result type `R`; otherwise no argument list fits. */
type IfNamed<R, A extends unknown[]> = [R] extends [Unnamed] ? never : A;
/** A workflow (generator or async) or step whose result is `R`. */
type Returning<R> = (ctx: never, ...args: never[]) => Generator<unknown, R, unknown> | Promise<R> | R;

/** What a Reprise instance has registered, for tools in this package (`reprise check`) — not public API. */
const registrations = new WeakMap<Reprise, { functions: Registry; dependencies: ReadonlyMap<string, unknown> }>();

export function registrationsOf(reprise: Reprise): { functions: ReadonlyMap<string, AnyFunction>; dependencies: ReadonlyMap<string, unknown> } {
  const found = registrations.get(reprise);
  if (!found) throw new Error("not a Reprise instance");
  return { functions: found.functions.entries(), dependencies: found.dependencies };
}

const DAY = 24 * 60 * 60 * 1000;
/**
 * Sweeps stop queueing pending tasks past this many queued offers: the queue is a list of ids,
 * but a store holding millions of pending tasks should not be copied into it at once.
 */
const MAX_QUEUED_BY_SWEEPS = 10 * DEFAULT_MAX_RUNNING;

interface Started {
  client: ProtocolClient;
  worker: Worker;
  admission: Admission;
  sweeper: Sweeper;
}

export class Reprise {
  readonly promises: Promises;
  readonly schedules: Schedules;
  readonly group: string;
  readonly pid: string;
  private readonly registry = new Registry();
  /** `register(…, { retention })`, by function name. */
  private readonly retentions = new Map<string, number>();
  private readonly dependencies = new Map<string, unknown>();
  private readonly waiters: Waiters;
  /** Awaited executions running in this process: their listener is registered only if they leave it unfinished. */
  private readonly listenWhenLeft = new Set<string>();
  private readonly log: Logger;
  /** Start-up as calls see it: rejects as soon as stop() is called, if it had not finished by then. */
  private readonly started: Promise<Started>;
  /** Start-up itself, which cleans up after itself when it fails or is stopped. */
  private readonly starting: Promise<Started>;
  /** Rejects once stop() is called: start-up's waits race it, so a stop never waits on a silent server. */
  private readonly stopSignal: Promise<never>;
  private signalStop!: (error: Error) => void;
  private stopping: Promise<void> | undefined;
  private readonly embedded: boolean;
  private readonly ttl: number;
  private readonly timeout: number;
  private readonly clock: Clock;
  /** Once started: the client that declares this worker's flow limits (again, when a later register adds some). */
  private declared: ProtocolClient | undefined;

  constructor(private readonly config: RepriseOptions = {}) {
    const options = config;
    this.embedded = options.url === undefined && options.transport === undefined;
    this.group = options.group ?? "default";
    checkId(this.group, "group");
    this.pid = options.pid ?? defaultPid(this.embedded);
    liveEmbeddedNonces.add(this.pid.split(":").pop() ?? "");
    this.ttl = options.ttl ?? (this.embedded ? 15_000 : 30_000);
    this.timeout = options.timeout ?? DAY;
    this.clock = options.clock ?? systemClock;
    registrations.set(this, { functions: this.registry, dependencies: this.dependencies });
    this.log = createLogger(options.logLevel, { pid: this.pid, group: this.group });
    this.waiters = new Waiters({ poll: async (id) => answerOf(id, await (await this.started).client.send("promise.get", { id })) });
    this.stopSignal = new Promise<never>((_resolve, reject) => (this.signalStop = reject));
    this.stopSignal.catch(() => {});
    this.starting = this.start();
    this.started = Promise.race([this.starting, this.stopSignal]);
    // Surface start-up failures on the first call, not as an unhandled rejection.
    this.starting.catch(() => {});
    this.started.catch(() => {});
    this.promises = new Promises(async () => (await this.started).client);
    this.schedules = new Schedules(async () => (await this.started).client, this.group);
  }

  /**
   * Registers a function under its own name, or under `name`. Returns run/beginRun bound to it.
   * `options` limit how many of its executions run at once and how fast they start, enforced by
   * the store across every worker and server (docs/flow-control.md).
   */
  register<F extends AnyFunction>(func: F, options?: RegisterOptions): Registered<WorkflowArgs<F>, WorkflowResult<F>>;
  register<F extends AnyFunction>(name: string, func: F, options?: RegisterOptions): Registered<WorkflowArgs<F>, WorkflowResult<F>>;
  register<F extends AnyFunction>(nameOrFunc: string | F, funcOrOptions?: F | RegisterOptions, maybeOptions?: RegisterOptions): Registered<WorkflowArgs<F>, WorkflowResult<F>> {
    const named = typeof nameOrFunc === "string";
    const func = (named ? funcOrOptions : nameOrFunc) as F;
    const name = named ? nameOrFunc : func?.name;
    const options = (named ? maybeOptions : funcOrOptions) as RegisterOptions | undefined;
    const retention = options?.retention;
    if (retention !== undefined && !isRetention(retention)) {
      throw new InvalidArgumentError(`register("${name}"): retention: expected ${RETENTION_EXPECTED}, got ${String(retention)}`);
    }
    this.registry.add(name, func, options);
    if (retention !== undefined) this.retentions.set(name, retention);
    if (options !== undefined && this.declared) void this.declareLimits(this.declared);
    return {
      run: (id, ...args) => this.run<WorkflowResult<F>>(id, name, ...args),
      beginRun: (id, ...args) => this.beginRun<WorkflowResult<F>>(id, name, ...args),
    };
  }

  /**
   * Runs `func` as the execution `id` and waits for its result. The same id is the same execution.
   * Given the function, its arguments (and result) are typed; given a registered name, they cannot
   * be, and the caller names the result type: `reprise.run<number>(id, "name", ...args)`.
   */
  run<F extends AnyFunction>(id: string, func: F, ...args: ArgsWithOptions<WorkflowArgs<F>>): Promise<WorkflowResult<F>>;
  // Only a name falls through to unchecked arguments: a function whose arguments do not fit is an error.
  run<R = unknown>(id: string, func: string, ...args: unknown[]): Promise<R>;
  /**
   * Resonate's form, `run<T>(id, func, ...args)`: naming the result type turns TypeScript's
   * inference off, so the arguments cannot be checked; the function must return `T`. Without `<T>`
   * this form does not apply, and the arguments are checked by the first.
   */
  run<R = Unnamed>(id: string, func: Returning<NoInfer<R>>, ...args: IfNamed<NoInfer<R>, unknown[]>): Promise<NoInfer<R>>;
  async run(id: string, func: string | AnyFunction, ...args: unknown[]): Promise<unknown> {
    return (await this.beginRun(id, func as string, ...args)).result();
  }

  /** Starts (or joins) the execution `id` and returns a handle at once. Arguments are typed as for `run`. */
  beginRun<F extends AnyFunction>(id: string, func: F, ...args: ArgsWithOptions<WorkflowArgs<F>>): Promise<Handle<WorkflowResult<F>>>;
  beginRun<R = unknown>(id: string, func: string, ...args: unknown[]): Promise<Handle<R>>;
  /** Resonate's form, `beginRun<T>(id, func, ...args)`: see `run`. */
  beginRun<R = Unnamed>(id: string, func: Returning<NoInfer<R>>, ...args: IfNamed<NoInfer<R>, unknown[]>): Promise<Handle<NoInfer<R>>>;
  async beginRun<R = unknown>(id: string, func: string | AnyFunction, ...rest: unknown[]): Promise<Handle<R>> {
    checkId(id, "id");
    const { name } = this.registry.require(func);
    const { args, options } = splitOptions(rest);
    const { client, worker, admission } = await this.started;
    const create = action("promise.create", this.rootPromise(id, name, args, options, ADDRESS.anycast(this.group), true));
    // No room to run it now: record it for the group, like an rpc. The store hands its task to
    // a worker of the group (this one, when a slot frees up), and until then it costs a row, not
    // a live execution.
    if (!admission.reserve(id)) return this.enqueue<R>(id, name, client, create.data);
    let created: Response<"task.create">;
    try {
      created = await client.send("task.create", { pid: this.pid, ttl: this.ttl, action: create });
    } catch (error) {
      admission.unreserve(id);
      throw error;
    }
    if (created.head.status === 200) {
      const { task, promise, preload, preloadTruncated } = created.data as { task: TaskRecord; promise: PromiseRecord; preload: PromiseRecord[]; preloadTruncated?: boolean };
      if (task.state === "acquired" && funcOf(promise) === name) {
        admission.runReserved(id, task.version, () => worker.execute(task, promise, preload, preloadTruncated === true));
        return this.handle<R>(id);
      }
      admission.unreserve(id);
      if (funcOf(promise) !== name) {
        if (task.state === "acquired") await client.send("task.release", { id, version: task.version });
        throw sameIdOtherFunction(id, funcOf(promise), name);
      }
      return this.handle<R>(id);
    }
    admission.unreserve(id);
    if (created.head.status === 409) {
      const existing = await client.expect("promise.get", { id });
      if (funcOf(existing.promise) !== name) throw sameIdOtherFunction(id, funcOf(existing.promise), name);
      return this.handle<R>(id);
    }
    if (created.head.status === 422) {
      throw notAnExecution(id);
    }
    if (created.head.status === 400) throw new InvalidArgumentError(String(created.data));
    throw new StoreError(created.head.status, `could not start ${id}: ${String(created.data)}`);
  }

  /** beginRun when this process runs as many executions as it may: the promise and its task, for the group. */
  private async enqueue<R>(id: string, name: string, client: ProtocolClient, create: RequestOf<"promise.create">["data"]): Promise<Handle<R>> {
    const created = await client.send("promise.create", create);
    if (created.head.status === 400) throw new InvalidArgumentError(String(created.data));
    if (created.head.status !== 200) throw new StoreError(created.head.status, `could not start ${id}: ${String(created.data)}`);
    const { promise } = created.data as { promise: PromiseRecord };
    if (promise.tags[TAG.target] === undefined) throw notAnExecution(id);
    if (funcOf(promise) !== name) throw sameIdOtherFunction(id, funcOf(promise), name);
    return this.handle<R>(id);
  }

  /** Starts `func` (a registered name) on a worker of the target group and waits for the result. */
  async rpc<R = unknown>(id: string, func: string, ...args: unknown[]): Promise<R> {
    return (await this.beginRpc<R>(id, func, ...args)).result();
  }

  /** Starts `func` on a worker of `options.target` (default: this group) without running it here. */
  async beginRpc<R = unknown>(id: string, func: string, ...rest: unknown[]): Promise<Handle<R>> {
    checkId(id, "id");
    const { args, options } = splitOptions(rest);
    const { client } = await this.started;
    const target = toAddress(options.target ?? this.group);
    const { promise } = await client.expect("promise.create", this.rootPromise(id, func, args, options, target, false));
    if (funcOf(promise) !== func) throw sameIdOtherFunction(id, funcOf(promise), func);
    return this.handle<R>(id);
  }

  /**
   * The root promise of an execution of `func` started from here, for `target`. `keyed`: the flow
   * key comes from `func`'s key function here (a run); a remote call's only from its options.
   */
  private rootPromise(id: string, func: string, args: unknown[], options: CallOptions, target: string, keyed: boolean): RequestOf<"promise.create">["data"] {
    return {
      id,
      timeoutAt: this.clock.now() + this.timeoutOf(options),
      param: encodeParam(func, args),
      tags: { ...this.retentionTag(func), ...options.tags, ...flowTags(options, keyed ? this.registry.flowKeyOf(func, args) : undefined), ...rootTags(func, target, id) },
    };
  }

  /** The root tag that carries `register(name, …, { retention })`, if it was given. */
  private retentionTag(name: string): Record<string, string> {
    const retention = this.retentions.get(name);
    return retention === undefined ? {} : { [TAG.retention]: String(retention) };
  }

  /** A handle to an existing execution. */
  async get<R = unknown>(id: string): Promise<Handle<R>> {
    checkId(id, "id");
    const { client } = await this.started;
    await client.expect("promise.get", { id }).catch((error: unknown) => {
      if (error instanceof StoreError && error.status === 404) throw new StoreError(404, `no execution with id "${id}"`);
      throw error;
    });
    return this.handle<R>(id);
  }

  /**
   * Cancels the execution `id` and everything it started and still awaits (child workflows, rpc'd
   * executions, sleeps, external promises): it sees a CancelledError at its current `yield`, runs
   * its `catch`/`finally` (durably), then ends rejected_canceled. Resolves once the request is
   * recorded, not when the cleanup is done (`handle.result()` waits for that). Cancelling twice,
   * or a finished execution, changes nothing and says so in the result (docs/cancellation.md).
   */
  async cancel(id: string, reason?: string): Promise<CancelResult> {
    checkId(id, "id");
    if (reason !== undefined && typeof reason !== "string") throw new InvalidArgumentError(`reason: expected a string, got ${typeof reason}`);
    const { client } = await this.started;
    return cancelExecution((kind, data) => client.send(kind, data), id, { reason });
  }

  /**
   * Resolves once this instance is connected (store open, or server stream live) and taking
   * work. With an embedded store, also once its start-up chores have run: work left by a previous
   * process taken over, and what fell due while no process ran fired; nothing of that is left to
   * run in the middle of the first calls that follow.
   */
  async ready(): Promise<void> {
    const { client, sweeper } = await this.started;
    // Only in-process chores are waited for: a sweep through a server (or a test's transport)
    // may wait on the network, or on a clock that moves only once ready() has resolved. Both
    // resolve on stop() as well.
    if (this.embedded) await Promise.all([sweeper.firstSweepDone, client.transport.choresDone?.()]);
  }

  setDependency(name: string, value: unknown): void {
    this.dependencies.set(name, value);
  }

  /** Options for one run: `reprise.run(id, fn, arg, reprise.options({ timeout }))`. */
  options(options: CallOptions): Options {
    return new Options(options);
  }

  /**
   * Stops taking work and closes the store or connection. Running executions stop where they are.
   * Safe in any order against start-up: before it finished (it is abandoned and what it opened is
   * closed), after it failed, and more than once (every call resolves once everything is closed).
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    liveEmbeddedNonces.delete(this.pid.split(":").pop() ?? "");
    this.signalStop(new Error("Reprise was stopped"));
    this.waiters.stop();
    let started: Started;
    try {
      // Settles promptly now: start-up's waits race the stop signal.
      started = await this.starting;
    } catch {
      return; // Start-up failed or was stopped: it closed what it had opened.
    }
    const { client, worker, admission, sweeper } = started;
    sweeper.stop();
    admission.clear();
    worker.stop();
    await client.transport.close();
  }

  /** Waits for `work` unless stop() is called first, then rejects with the stop. */
  private unlessStopped<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.stopSignal]);
  }

  private async start(): Promise<Started> {
    const opening = this.config.transport ? Promise.resolve(this.config.transport) : openTransport(this.config, this.log);
    let transport: Transport;
    try {
      transport = await this.unlessStopped(opening);
    } catch (error) {
      // Stopped while opening (a store connecting, say): close the transport once it is open.
      opening.then((late) => late.close()).catch(() => {});
      throw error;
    }
    let worker: Worker | undefined;
    let admission: Admission | undefined;
    try {
      const client = new ProtocolClient(transport, this.config.authToken);
      worker = new Worker({
        client,
        registry: this.registry,
        dependencies: this.dependencies,
        group: this.group,
        pid: this.pid,
        ttl: this.ttl,
        log: (level, message, fields) => this.log[level](fields ?? {}, message),
        debug: this.log.isLevelEnabled("debug"),
        clock: this.clock,
        guard: this.determinismGuard(),
        onSettled: (record) => this.settled(record),
        onLeft: (taskId) => this.left(taskId),
        checkedUnder: this.checkedUnder(),
      });
      const running = worker;
      running.start();
      // Every task offered to this process, by a message or a sweep, waits its turn here.
      const queue = new Admission(DEFAULT_MAX_RUNNING, (taskId, version) => running.offer(taskId, version));
      admission = queue;
      await this.unlessStopped(
        transport.subscribe(this.group, this.pid, (message) => {
          if (message.kind === "execute") queue.offer(message.data.task.id, message.data.task.version);
          else running.onMessage(message);
        }),
      );
      const sweeper = new Sweeper({
        client,
        admission: queue,
        embedded: this.embedded,
        pid: this.pid,
        ttl: this.ttl,
        runTakenOver: (taken) => {
          // The sweep took no more than there was room for: a slot is free for each.
          if (queue.reserve(taken.task.id)) queue.runReserved(taken.task.id, taken.task.version, () => running.runTakenOver(taken));
          else {
            // No room after all (offers filled it meanwhile): back to pending now rather than at the lease's end.
            client.send("task.release", { id: taken.task.id, version: taken.task.version }).catch((error: unknown) => {
              this.log.warn({ err: error, taskId: taken.task.id }, "could not give back a task taken over");
            });
          }
        },
        maxQueued: MAX_QUEUED_BY_SWEEPS,
        onError: (error) => this.log.warn({ err: error }, "looking for work failed"),
      });
      // Before any work is taken: the store limits this group's functions from now on.
      this.declared = client;
      await this.unlessStopped(this.declareLimits(client));
      // Nothing is awaited from here on: a stop() now finds start-up finished and closes it all.
      sweeper.start();
      // Another process sharing the SQLite file committed: its messages never reach us, so look now.
      transport.onChangedElsewhere?.(() => {
        sweeper.nudge();
        this.waiters.nudge();
      });
      return { client, worker: running, admission: queue, sweeper };
    } catch (error) {
      // Failed or stopped part-way: close what was opened, or the process could not exit.
      admission?.clear();
      worker?.stop();
      await transport.close().catch(() => {});
      throw error;
    }
  }

  /**
   * Tells the store the flow limits of this worker's functions (docs/flow-control.md), when any
   * has limits. Per function the latest declaration wins; one that replaced different limits
   * (another worker of the group, an older deploy) is logged. A server without flow control
   * refuses the kind: logged, and the limits are not enforced.
   */
  private async declareLimits(client: ProtocolClient): Promise<void> {
    if (!this.registry.hasLimits()) return;
    try {
      const response = await client.send("reprise.declare_limits", { group: this.group, pid: this.pid, functions: this.registry.declaredLimits() });
      if (response.head.status !== 200) {
        this.log.warn({ status: response.head.status, answer: response.data }, "the store refused this worker's flow limits; they are not enforced");
        return;
      }
      for (const earlier of (response.data as { replaced: FlowDeclaration[] }).replaced) {
        this.log.warn({ func: earlier.func, earlier, by: earlier.pid }, `flow limits of "${earlier.func}" replaced an earlier, different declaration`);
      }
    } catch (error) {
      this.log.warn({ err: error }, "declaring flow limits failed; they are not enforced until this worker declares them again");
    }
  }

  private handle<R>(id: string): Handle<R> {
    return {
      id,
      result: async () => outcomeOf<R>(await this.settledRecord(id)),
      done: async () => {
        const { client } = await this.started;
        const { promise } = await client.expect("promise.get", { id });
        return promise.state !== "pending";
      },
    };
  }

  /** Waits for `id` to settle: told by this process's worker, by an unblock message, or by polling. */
  private async settledRecord(id: string): Promise<PromiseRecord> {
    const { client, worker } = await this.started;
    // Stopped: nothing would ever tell the waiter, and its polling timer would keep the process alive.
    if (this.stopping) throw new Error(`Reprise was stopped; cannot wait for "${id}"`);
    const settled = this.waiters.wait(id);
    // Running here: the worker tells the waiter when it completes it, and a listener is needed
    // only if the run ends otherwise (suspended, lease lost): most executions never need one.
    if (worker.isRunning(id)) this.listenWhenLeft.add(id);
    else this.listen(client, id);
    return settled;
  }

  /** An execution's run in this process ended: listen to it if someone still waits for it. */
  private left(id: string): void {
    if (!this.listenWhenLeft.delete(id) || !this.waiters.isWaiting(id)) return;
    void this.started.then(({ client }) => this.listen(client, id)).catch(() => {});
  }

  private listen(client: ProtocolClient, id: string): void {
    // The listener brings an unblock message when it settles; its answer says if it already has.
    client
      .send("promise.register_listener", { awaited: id, address: ADDRESS.unicast(this.group, this.pid) })
      .then((response) => {
        const answer = answerOf(id, response);
        if (answer && "error" in answer) this.waiters.fail(id, answer.error);
        else if (answer) this.waiters.settled(answer.record);
      })
      .catch(() => {});
  }

  private settled(record: PromiseRecord): void {
    this.waiters.settled(record);
  }

  /**
   * The value limit the worker's own writes are checked under (sdk/checked-writes.ts): the store's
   * when Reprise opened it. A store with a lower limit of its own validates them anyway
   * (validatedWithin). Over HTTP none: the server validates every request at its edge.
   */
  private checkedUnder(): number | undefined {
    return this.config.url === undefined ? resolveLimits(this.config.limits).maxValueBytes : undefined;
  }

  private determinismGuard(): DeterminismGuard | undefined {
    const mode = this.config.determinism ?? (process.env.NODE_ENV === "production" ? "off" : "warn");
    if (mode === "off") return undefined;
    if (mode !== "warn" && mode !== "error") throw new InvalidArgumentError(`determinism: expected "warn", "error" or "off", got ${String(mode)}`);
    return new DeterminismGuard(mode, (violation) => this.log.warn({ ...violation }, describeViolation(violation)));
  }

  private timeoutOf(options: CallOptions): number {
    const timeout = options.timeout ?? this.timeout;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new InvalidArgumentError(`timeout: expected a positive number of ms, got ${timeout}`);
    return timeout;
  }
}

function encodeParam(func: string, args: unknown[]): PromiseRecord["param"] {
  try {
    return encodeCall(func, args);
  } catch (error) {
    if (error instanceof SerializationError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}


/** What a read of an execution's root promise tells its waiters. */
function answerOf(id: string, response: Response<"promise.get" | "promise.register_listener">): PollAnswer {
  if (response.head.status === 404) return { error: new StoreError(404, `no execution with id "${id}"`) };
  if (response.head.status !== 200) return undefined;
  return { record: (response.data as { promise: PromiseRecord }).promise };
}

function notAnExecution(id: string): ConflictError {
  return new ConflictError(`id "${id}" is already used by a durable promise that is not an execution (a step, a timer or an external promise)`);
}

function sameIdOtherFunction(id: string, recorded: string | undefined, requested: string): ConflictError {
  return new ConflictError(`execution "${id}" already exists for function "${recorded ?? "unknown"}", not "${requested}"; pick another id`);
}

/** Embedded pids name the OS process so a restarted process can tell a dead holder from a live one. */
function defaultPid(embedded: boolean): string {
  const nonce = randomBytes(4).toString("hex");
  return embedded ? `embedded:${hostname()}:${process.pid}:${nonce}` : `${hostname()}-${process.pid}-${nonce}`;
}
