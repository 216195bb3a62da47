/**
 * The worker: takes tasks addressed to this process's group, runs their executions with the
 * engine, keeps their leases alive, and reports each run's outcome (fulfill or suspend).
 */
import type { Clock } from "../engine/clock.js";
import type { DeterminismGuard } from "../engine/determinism.js";
import type { Settled } from "../engine/effects.js";
import { StoreError } from "../engine/errors.js";
import { cancelledExecutionOf, reasonOf } from "../engine/cancellation.js";
import { Execution } from "../engine/execution.js";
import type { Outcome } from "../engine/outcome.js";
import { decodeCall } from "../protocol/calls.js";
import { encodeValue } from "../protocol/codec.js";
import { isValidId, isValidTime, MAX_BATCH, MAX_PRELOAD } from "../protocol/limits.js";
import { parseAddress, TAG } from "../protocol/tags.js";
import type { Message } from "../protocol/messages.js";
import type { PromiseRecord, TaskRecord, Value } from "../protocol/records.js";
import { STATUS, type Acquired, type Response } from "../protocol/requests.js";
import { valueChecked } from "./checked-writes.js";
import { action, type ProtocolClient } from "./client.js";
import type { Registry } from "./registry.js";
import { tracingEnabled } from "../observability/tracing.js";
import { ExecutionObserver } from "./execution-observer.js";
import { NotOurs } from "./not-ours.js";
import { TaskEffects } from "./task-effects.js";
import { WideWait } from "./wide-waits.js";

export interface WorkerOptions {
  client: ProtocolClient;
  registry: Registry;
  dependencies: Map<string, unknown>;
  group: string;
  pid: string;
  /** Lease length in ms; heartbeats renew it at a third of that. */
  ttl: number;
  log: (level: "debug" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
  /** Whether debug lines are wanted (each call that runs logs one: skip building them otherwise). */
  debug: boolean;
  /** The clock executions read. */
  clock: Clock;
  /** Traps replay bugs in generator bodies (Date.now, Math.random, timers, fetch); absent when off. */
  guard?: DeterminismGuard;
  /** Told whenever a promise this process watches or runs settles. */
  onSettled: (promise: PromiseRecord) => void;
  /** Told when a run of a task in this process ends, however it ended (after onSettled if it completed). */
  onLeft?: (taskId: string) => void;
  /**
   * The value limit of an embedded store: the take-overs, step records and fulfilments this
   * worker builds are sent marked validated under it when their parts pass sdk/checked-writes.ts.
   */
  checkedUnder?: number;
}

type Call = ReturnType<typeof decodeCall>;

/** What an execution's runs replay from: the records known here, and whether they are all it has. */
interface History {
  known: Map<string, PromiseRecord>;
  complete: boolean;
}

export class Worker {
  /** Tasks running here: the version held, and when its lease was last taken or renewed (at the latest), on the worker's clock. */
  private readonly running = new Map<string, { version: number; leasedAt: number }>();
  /** Tasks offered here that are not ours to run: offered again, they cost no read. */
  private readonly notOurs = new NotOurs();
  /** Offers that arrived while the task was running here (its lease may have moved on): retried after. */
  private readonly missed = new Map<string, number>();
  /** The run in progress of each execution running here: a cancellation request is handed to it. */
  private readonly inProgress = new Map<string, Execution>();
  /** Cancellation requests that arrived while their execution ran here: its next run starts with them. */
  private readonly cancelled = new Map<string, PromiseRecord>();
  /** Executions waiting here on more promises than a suspension names (wide-waits.ts). */
  private readonly waiting = new Map<string, WideWait>();
  private stopHeartbeat: (() => void) | undefined;
  private stopped = false;

  /** The limit acquires are sent checked under: only when this worker's own pid and ttl are valid. */
  private readonly acquiresCheckedUnder: number | undefined;

  constructor(private readonly options: WorkerOptions) {
    // Every other part of an acquire (the task's id and version) comes from the store.
    this.acquiresCheckedUnder = isValidId(options.pid) && isValidTime(options.ttl) ? options.checkedUnder : undefined;
  }

  start(): void {
    const every = this.beatEvery();
    const beat = () => void this.renewLeases();
    // A simulated clock beats in its own time (sim/), so leases run out only when it says so.
    if (this.options.clock.every) this.stopHeartbeat = this.options.clock.every(every, beat);
    else {
      const timer = setInterval(beat, every);
      this.stopHeartbeat = () => clearInterval(timer);
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopHeartbeat?.();
    for (const wait of this.waiting.values()) wait.stop();
  }

  /** Whether this process is executing `taskId` now. */
  isRunning(taskId: string): boolean {
    return this.running.has(taskId);
  }

  /** Task ids this process is executing now. */
  get executing(): string[] {
    return [...this.running.keys()];
  }

  onMessage(message: Message): void {
    if (message.kind === "execute") void this.offer(message.data.task.id, message.data.task.version);
    else {
      this.cancelIfRunning(message.data.promise);
      this.options.onSettled(message.data.promise);
    }
  }

  /**
   * A cancellation request for an execution running here (cancel.ts registers a listener for the
   * holder): its steps' signals abort now, and the run that follows starts cancelled.
   */
  private cancelIfRunning(promise: PromiseRecord): void {
    const executionId = cancelledExecutionOf(promise);
    if (executionId === undefined || !this.running.has(executionId)) return;
    this.cancelled.set(executionId, promise);
    this.inProgress.get(executionId)?.cancel(reasonOf(promise));
    this.waiting.get(executionId)?.cancel();
  }

  /** A task is offered to this process: take it if we run its function and nobody holds it. */
  async offer(taskId: string, version: number): Promise<void> {
    if (this.stopped) return;
    if (this.running.has(taskId)) {
      this.missed.set(taskId, version);
      return;
    }
    try {
      const { registry, clock } = this.options;
      if (this.notOurs.has(taskId, registry.size, clock.now())) return;
      const got = await this.options.client.send("promise.get", { id: taskId });
      if (got.head.status !== 200) return;
      const root = (got.data as { promise: PromiseRecord }).promise;
      if (root.state !== "pending" || !this.runs(root)) {
        this.notOurs.add(taskId, registry.size, clock.now());
        return;
      }
      const { pid, ttl, client } = this.options;
      const acquired = await client.send("task.acquire", { id: taskId, version, pid, ttl }, this.acquiresCheckedUnder);
      if (acquired.head.status !== 200) return;
      const data = acquired.data as Acquired;
      // Returned, not awaited: execute never rejects, and this frame need not stay suspended (and
      // in memory) for as long as the execution runs.
      return this.execute(data.task, data.promise, data.preload, data.preloadTruncated === true);
    } catch (error) {
      this.options.log("warn", "could not take task", { taskId, error: String(error) });
    }
  }

  /**
   * Runs a task this process took over from a dead holder (sdk/recovery.ts), or gives it back.
   * Returns execute's own promise (never rejected): no frame of this kept while the run lasts.
   */
  runTakenOver(taken: Acquired): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const { task, promise } = taken;
    let call: Call;
    let ours: boolean;
    try {
      call = decodeCall(promise.param);
      ours = this.runs(promise, call);
    } catch (error) {
      return Promise.resolve(this.couldNotRunTakenOver(task, error));
    }
    // Not ours to run after all (another group's, or a function not registered here): back to
    // pending, where its execute message finds the right worker.
    if (!ours) return this.giveBack(task);
    return this.execute(task, promise, taken.preload, taken.preloadTruncated === true, call);
  }

  private async giveBack(task: TaskRecord): Promise<void> {
    try {
      await this.options.client.send("task.release", { id: task.id, version: task.version });
    } catch (error) {
      this.couldNotRunTakenOver(task, error);
    }
  }

  private couldNotRunTakenOver(task: TaskRecord, error: unknown): void {
    this.options.log("warn", "could not run a task taken over", { taskId: task.id, error: String(error) });
  }

  /**
   * Runs an acquired task until it completes, suspends or is lost; replays at once after a 300.
   * `decoded`: its root's param, when the caller has decoded it already.
   */
  async execute(task: TaskRecord, root: PromiseRecord, preload: PromiseRecord[], preloadTruncated = false, decoded?: Call): Promise<void> {
    if (this.running.has(task.id)) return;
    this.running.set(task.id, { version: task.version, leasedAt: this.leaseStartOf(task) });
    try {
      // A preload cut (by count or by bytes) is not the whole history: ask the store about the rest.
      const history: History = { known: new Map(preload.map((p) => [p.id, p])), complete: preload.length < MAX_PRELOAD && !preloadTruncated };
      for (;;) {
        // Each run decodes its own arguments: a body may change the objects it was given.
        const outcome = await this.runOnce(task, root, decoded ?? decodeCall(root.param), history.known, history.complete);
        decoded = undefined;
        // What follows a run is a function of its own: this frame, kept for as long as each run
        // lasts (thousands of executions are in flight at once), holds only this loop.
        if (!(await this.afterRun(task, outcome, history))) return;
      }
    } catch (error) {
      this.options.log(this.stopped ? "debug" : "warn", "execution failed to report; its lease will expire and it will be retried", {
        executionId: task.id,
        error: String(error),
      });
    } finally {
      this.left(task.id);
    }
  }

  /** Acts on how a run ended. True: replay now, with `history` brought up to date; false: the task is done here. */
  private async afterRun(task: TaskRecord, outcome: Outcome, history: History): Promise<boolean> {
    const { client, log } = this.options;
    log("debug", "run ended", { executionId: task.id, outcome: outcome.type, ...(outcome.type === "abandoned" ? { reason: outcome.reason } : {}) });
    if (outcome.type === "abandoned" || outcome.type === "caught-up") {
      await client.send("task.release", { id: task.id, version: task.version });
      // Its lease may have lapsed while the server was unreachable, and the re-delivery with
      // it: take it back if it is up for grabs.
      const current = await client.send("task.get", { id: task.id });
      if (current.head.status === 200) {
        const { task: now } = current.data as { task: TaskRecord };
        if (now.state === "pending") this.missed.set(task.id, now.version);
      }
      return false;
    }
    if (outcome.type === "completed") {
      let done = await this.fulfil(task, outcome.state, outcome.value);
      if (done.head.status === STATUS.badRequest) {
        // The result itself was refused (over the store's value limit): the run fails with the
        // refusal, as a step whose record is refused fails, instead of being run again forever.
        const refusal = new StoreError(done.head.status, `recording the result of execution ${JSON.stringify(task.id)} was refused: ${String(done.data)}`);
        refusal.stack = `${refusal.name}: ${refusal.message}`;
        done = await this.fulfil(task, "rejected", encodeValue(refusal));
        // A limit so low that the refusal itself is over it: rejected with no value at all.
        if (done.head.status === STATUS.badRequest) done = await this.fulfil(task, "rejected", encodeValue(undefined));
      }
      if (done.head.status === 200) this.options.onSettled((done.data as { promise: PromiseRecord }).promise);
      return false;
    }
    const { known } = history;
    const cancelRequest = this.cancelled.get(task.id);
    if (cancelRequest) {
      // Asked to cancel while this run went on: replay now, with the request in the history,
      // rather than sleep on promises the cancellation is about to settle.
      this.cancelled.delete(task.id);
      known.set(cancelRequest.id, cancelRequest);
      return true;
    }
    if (outcome.awaiting.length > MAX_BATCH) {
      // More than one suspension may name: wait here instead (wide-waits.ts).
      let wait = this.waiting.get(task.id);
      if (wait === undefined) this.waiting.set(task.id, (wait = new WideWait(task, client)));
      return wait.until(outcome.awaiting, known);
    }
    const callbacks = outcome.awaiting.map((awaited) => action("promise.register_callback", { awaited, awaiter: task.id }));
    const suspended = await client.send("task.suspend", { id: task.id, version: task.version, actions: callbacks });
    if (suspended.head.status !== 300) return false;
    // Something we wait for settled meanwhile: replay now, with what the server preloaded.
    const { preload: freshPreload, preloadTruncated: freshTruncated } = suspended.data as { preload?: PromiseRecord[]; preloadTruncated?: boolean };
    const fresh = freshPreload ?? [];
    // The run that suspended has no strand left to touch `known`: the next one takes it over.
    for (const record of fresh) known.set(record.id, record);
    history.complete = history.complete && fresh.length < MAX_PRELOAD && freshTruncated !== true;
    for (const id of outcome.awaiting) known.delete(id);
    return true;
  }

  /** The task no longer runs here: its slot and its state go, and an offer that came meanwhile is taken up. */
  private left(taskId: string): void {
    this.running.delete(taskId);
    this.inProgress.delete(taskId);
    this.cancelled.delete(taskId);
    this.waiting.delete(taskId);
    this.options.onLeft?.(taskId);
    const missed = this.missed.get(taskId);
    this.missed.delete(taskId);
    if (missed !== undefined) void this.offer(taskId, missed);
  }

  /** Settles the task's promise with its run's result, ending the task. */
  private fulfil(task: TaskRecord, state: Settled["state"], value: Value): Promise<Response<"task.fulfill">> {
    const fulfill = { id: task.id, version: task.version, action: action("promise.settle", { id: task.id, state, value }) };
    // The task's own promise, settled with a value the engine encoded: only its size can be out of bounds.
    const limit = this.options.checkedUnder;
    return this.options.client.send("task.fulfill", fulfill, valueChecked(value, limit) ? limit : undefined);
  }

  private runOnce(task: TaskRecord, root0: PromiseRecord, call: Call, known: Map<string, PromiseRecord>, complete: boolean): Promise<Outcome> {
    const func = call.func === undefined ? undefined : this.options.registry.get(call.func);
    if (!func || call.func === undefined) return Promise.resolve({ type: "abandoned", reason: `function ${String(call.func)} is not registered here` });
    const effects = new TaskEffects({ client: this.options.client, task, known, historyComplete: complete, checkedUnder: this.options.checkedUnder });
    // Spans and debug lines cost a little on every step: made only when someone takes them.
    const observer =
      this.options.debug || tracingEnabled()
        ? new ExecutionObserver(task.id, this.options.debug ? (message, fields) => this.options.log("debug", message, fields) : undefined)
        : undefined;
    const root = { id: task.id, name: call.func, func, args: call.args, timeoutAt: root0.timeoutAt };
    const { group, dependencies, guard, clock } = this.options;
    const execution = new Execution(root, { effects, observer, group, dependencies, guard, clock });
    this.inProgress.set(task.id, execution);
    const request = this.cancelled.get(task.id);
    if (request) execution.cancel(reasonOf(request));
    return execution.run();
  }

  /** Whether this process should run `root`: it is addressed to our group (or to us), and we know its function. */
  private runs(root: PromiseRecord, call?: Call): boolean {
    const target = root.tags[TAG.target];
    const address = target === undefined ? undefined : parseAddress(target);
    if (!address || address.group !== this.options.group || (address.cast === "uni" && address.pid !== this.options.pid)) return false;
    const { func } = call ?? decodeCall(root.param);
    return func !== undefined && this.options.registry.get(func) !== undefined;
  }

  /**
   * When the store started this lease: its end less its length. The answer may have taken a
   * while to arrive (a busy store, a long batch), so the time it arrived would be too late. A
   * store that does not say when leases end (the reference server) is renewed at the next beat.
   */
  private leaseStartOf(task: TaskRecord): number {
    if (task.expiresAt === undefined) return Number.NEGATIVE_INFINITY;
    return Math.min(this.options.clock.now(), task.expiresAt - (task.ttl ?? this.options.ttl));
  }

  /** Heartbeats come at a third of the lease. */
  private beatEvery(): number {
    return Math.max(50, Math.floor(this.options.ttl / 3));
  }

  private async renewLeases(): Promise<void> {
    // A lease taken or renewed within the last beat has two beats left before it runs out: it is
    // renewed at the next one. Most executions finish well within a beat and are never named.
    const due = this.options.clock.now() - this.beatEvery();
    const tasks: { id: string; version: number }[] = [];
    for (const [id, { version, leasedAt }] of this.running) if (leasedAt <= due) tasks.push({ id, version });
    if (tasks.length === 0) return;
    // A heartbeat names at most MAX_BATCH tasks; a process may run ten times that many at once.
    // The chunks go out together, so the store still commits them as one batch.
    const chunks: { id: string; version: number }[][] = [];
    for (let at = 0; at < tasks.length; at += MAX_BATCH) chunks.push(tasks.slice(at, at + MAX_BATCH));
    const started = Date.now();
    await Promise.all(chunks.map((chunk) => this.renew(chunk)));
    this.options.log("debug", "leases renewed", { tasks: tasks.length, heartbeats: chunks.length, ms: Date.now() - started });
  }

  private async renew(tasks: { id: string; version: number }[]): Promise<void> {
    try {
      const sentAt = this.options.clock.now();
      const answer = await this.options.client.send("task.heartbeat", { pid: this.options.pid, tasks });
      // Refused: these leases run out and their executions are handed out again, so say so.
      if (answer.head.status !== 200) {
        this.options.log("warn", "heartbeat refused", { tasks: tasks.length, status: answer.head.status, error: String(answer.data) });
        return;
      }
      for (const { id } of tasks) {
        // A run that ended meanwhile is gone; one that started since holds a newer lease, so sentAt is early, never late.
        const held = this.running.get(id);
        if (held) held.leasedAt = sentAt;
      }
    } catch (error) {
      this.options.log("warn", "heartbeat failed", { error: String(error) });
    }
  }
}
