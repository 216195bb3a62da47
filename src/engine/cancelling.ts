/**
 * An execution's cancellation as it runs (docs/cancellation.md): whether the execution is asked
 * to cancel, and what happens to each call it reaches meanwhile. Execution asks `reaches(scope)`
 * on every call that has no settled record and hands the ones it reaches to the rules here; the
 * durable request itself and the values it writes are cancellation.ts's.
 */
import type { PromiseRecord } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import { cancelledValue, cancelRequestId, isCancelRequest, reasonOf } from "./cancellation.js";
import type { WorkflowContext } from "./context.js";
import type { Effects, Settled } from "./effects.js";
import { asCancelledError, CancelledError } from "./errors.js";
import type { FutureState } from "./race.js";
import { resultOf, type Result } from "./replay.js";
import type { Scope } from "./scope.js";

/** What the cancellation needs of its execution: its id, its writes, and its records. */
export interface CancellingExecution {
  readonly rootId: string;
  /** `reprise check`: nothing is written. */
  readonly replayOnly: boolean;
  readonly effects: Pick<Effects, "settle" | "cancelChild">;
  /** The record of `id` if there is one, from what is known or else from the store. */
  recorded(id: string): PromiseRecord | undefined | Promise<PromiseRecord | undefined>;
  /** The record of `id`, asking the store even when this process thinks there is none. */
  storedRecord(id: string): PromiseRecord | Promise<PromiseRecord | undefined>;
  /** The record of `id` this process has at hand, if any (no I/O). */
  knownRecord(id: string): PromiseRecord | undefined;
}

type DurableFuture = Extract<FutureState, { kind: "durable" }>;

export class Cancelling {
  /** Set once the execution is asked to cancel: found in its history at start, or told while running. */
  private request: { reason: string | undefined } | undefined;
  /**
   * Contexts of the steps running here: their signals abort when a cancellation arrives. The one
   * a strand runs is a field, the others (steps begun as futures) a set made when one is: thousands
   * of executions in flight each hold one step at most.
   */
  private runningStep: WorkflowContext | undefined;
  private moreRunningSteps: Set<WorkflowContext> | undefined;

  constructor(private readonly execution: CancellingExecution) {}

  /** Whether the execution is asked to cancel. */
  get asked(): boolean {
    return this.request !== undefined;
  }

  /**
   * Reads the execution's cancellation request, if its history holds one: a run starts cancelled
   * then. Answered at once when the history at hand tells (no promise, no turn of the microtask queue).
   */
  readRequest(): void | Promise<void> {
    const request = this.execution.recorded(cancelRequestId(this.execution.rootId));
    if (request instanceof Promise) return request.then((stored) => this.noteRequest(stored));
    this.noteRequest(request);
  }

  private noteRequest(request: PromiseRecord | undefined): void {
    if (isCancelRequest(request)) this.request ??= { reason: reasonOf(request) };
  }

  /**
   * Told while running: the steps running here see their signals abort, and each strand gets a
   * CancelledError at its next call that has no record. (A strand blocked on a durable promise is
   * reached by the replay that follows.) Asked once: a second request changes nothing.
   */
  ask(reason: string | undefined): void {
    if (this.request) return;
    this.request = { reason };
    const error = this.error();
    this.runningStep?.abort(error);
    if (this.moreRunningSteps) for (const ctx of this.moreRunningSteps) ctx.abort(error);
  }

  /** Whether a call in `scope` with no settled record gets a CancelledError instead of running. */
  reaches(scope: Scope): boolean {
    return this.request !== undefined && !scope.delivered;
  }

  /** A CancelledError of this execution's cancellation reached the scope: its later calls run normally (they are its cleanup). */
  noteDelivery(result: Result, scope: Scope): void {
    if (result.ok || !this.request || scope.delivered) return;
    const cancelled = asCancelledError(result.error);
    if (cancelled?.executionId === this.execution.rootId) scope.delivered = true;
  }

  error(): CancelledError {
    return new CancelledError(this.execution.rootId, this.request?.reason);
  }

  result(): Result {
    return { ok: false, error: this.error() };
  }

  settled(attempts: number): Settled {
    return { state: "rejected_canceled", value: cancelledValue(this.execution.rootId, this.request?.reason), attempts };
  }

  /**
   * A step begun here: its signal aborts if a cancellation comes before `stepEnded`. One begun
   * after the cancellation (cleanup) runs to the end undisturbed.
   */
  stepBegun(ctx: WorkflowContext): void {
    if (this.request) return;
    if (this.runningStep === undefined) this.runningStep = ctx;
    else (this.moreRunningSteps ??= new Set()).add(ctx);
  }

  stepEnded(ctx: WorkflowContext): void {
    if (this.runningStep === ctx) this.runningStep = undefined;
    else this.moreRunningSteps?.delete(ctx);
  }

  /**
   * A sleep or external promise reached while the cancellation is being delivered. Never created:
   * it is the call that throws (it would start something new). A pending sleep the strand waits
   * on (`blocking`) is settled rejected_canceled, holding the CancelledError so every replay
   * answers the same, and answered from what the store kept (a timer that fired first keeps its
   * result). A pending one the strand only takes a future of is replayed as it is: the strand
   * went past it before, and cancels it where it waits for it, or when the execution ends.
   */
  async sleepOrPromise(id: string, blocking: boolean, proceed: () => Result | Promise<Result>): Promise<Result> {
    const record = await this.execution.storedRecord(id);
    if (!record) return this.result();
    if (blocking && record.state === "pending" && !this.execution.replayOnly) await this.execution.effects.settle(id, this.settled(1));
    return proceed();
  }

  /** Whether this execution asked the child execution `id` to cancel. */
  async weCancelled(id: string): Promise<boolean> {
    const request = await this.execution.recorded(cancelRequestId(id));
    return isCancelRequest(request) && request.tags[TAG.origin] === this.execution.rootId;
  }

  /** The child execution `id`, in flight, asked to cancel (durably, before the strand moves on). */
  async cancelChild(id: string): Promise<void> {
    if (!this.execution.replayOnly) await this.execution.effects.cancelChild(id, this.request?.reason);
  }

  /** A pending durable future awaited while the cancellation is being delivered: cancelled, then answered. */
  async awaited(state: DurableFuture): Promise<Result> {
    const record = this.current(state);
    if (record.state !== "pending" && !(await this.rpcWeCancelled(record))) return resultOf(record);
    if (record.state === "pending") await this.cancelAwaited(record);
    if (record.tags[TAG.kind] === "rpc") return this.result();
    const stored = this.current(state);
    return stored.state === "pending" ? this.result() : resultOf(stored);
  }

  /** A race with no winner yet, reached by the cancellation: what it raced is cancelled, and the race throws. */
  async race(states: readonly FutureState[]): Promise<Result> {
    for (const state of states) {
      if (state.kind !== "durable") continue;
      const record = this.current(state);
      if (record.state === "pending") await this.cancelAwaited(record);
    }
    return this.result();
  }

  /** The execution is ending under cancellation: what it started and never awaited is cancelled too. */
  async outstanding(futures: readonly FutureState[]): Promise<void> {
    for (const state of futures) {
      if (state.kind !== "durable") continue;
      const record = this.current(state);
      if (record.state === "pending" && !(await this.rpcWeCancelled(record))) await this.cancelAwaited(record);
    }
  }

  /** Whether `record` is a remote call this execution has asked to cancel: it answers with a CancelledError whatever its state. */
  private async rpcWeCancelled(record: PromiseRecord): Promise<boolean> {
    return record.tags[TAG.kind] === "rpc" && (await this.weCancelled(record.id));
  }

  /** A pending durable promise this execution awaits, cancelled: a sleep or promise settled, a remote call asked to stop. */
  private async cancelAwaited(record: PromiseRecord): Promise<void> {
    if (this.execution.replayOnly) return;
    if (record.tags[TAG.kind] === "rpc") await this.execution.effects.cancelChild(record.id, this.request?.reason);
    else await this.execution.effects.settle(record.id, this.settled(1));
  }

  /** The latest record of a durable future: what this run wrote since, or what it was created with. */
  private current(state: DurableFuture): PromiseRecord {
    return this.execution.knownRecord(state.id) ?? state.record;
  }
}
