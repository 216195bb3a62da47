/**
 * The one `Store`: the kernel's transitions over any `Backend`. Each request is validated (by the
 * one validator, protocol/validation.ts, unless the HTTP edge already did), then
 * applied inside a backend transaction that it shares with the requests that arrived alongside it
 * (group commit, in group-apply.ts); the messages it produces are delivered only after that
 * transaction has committed, so a worker never hears about a change that could still roll back.
 */
import { resolveLimits, type Limits } from "../../protocol/limits.js";
import type { Envelope } from "../../protocol/messages.js";
import { STATUS, type Request, type Response } from "../../protocol/requests.js";
import { stepFenceRequest, type StepAnswer, type StepRecord } from "../../protocol/step-record.js";
import type { Backend, FinishedRoot, SpeculationOutcome, Tx } from "../backend.js";
import type { PurgeOptions, PurgeReport, Store, TickReport } from "../store.js";
import { purgeDue, purgeSettledBy, type PurgeBudget } from "./retention.js";
import { checkRetention, DEFAULT_RETENTION_MS } from "../../protocol/retention.js";
import { withRowCache } from "./row-cache.js";
import { KernelContext } from "./context.js";
import { DeclaredLimits } from "./declared-limits.js";
import { GroupApply } from "./group-apply.js";
import { fail, toResponse } from "./outcome.js";
import { tick } from "./timeouts.js";
import { validateRequest, validatedWithin } from "../../protocol/validation.js";

export interface ProtocolStoreOptions {
  /** How long a pending task waits to be acquired before it is sent again. Default 30 s. */
  redeliverAfterMs?: number;
  /** The time used when a call gives no `now`. Default `Date.now`. */
  clock?: () => number;
  /** Size limits (protocol/limits.ts); a server passes the same ones to its HTTP edge. */
  limits?: Partial<Limits>;
  /**
   * How long a finished execution is kept before it is deleted, in ms (docs/retention.md); a
   * root's `reprise:retention` tag overrides it. Default 7 days; 0 keeps executions for ever.
   */
  retentionMs?: number;
}

export const DEFAULT_REDELIVER_AFTER_MS = 30_000;

/** Records each tick transaction handles per kind of due work; keeps transactions short. */
const TICK_BATCH = 500;
/** Transactions one `tick` call may run when batches come back full. */
const MAX_TICK_ROUNDS = 16;
/**
 * What one purge transaction may delete: few enough that it holds SQLite's write lock (or
 * PostgreSQL's row locks) for milliseconds, between the transactions of the hot path.
 */
const PURGE_BUDGET: PurgeBudget = { roots: 50, promises: 500 };
/** Transactions one automatic purge pass may run; the next pass goes on. */
const MAX_PURGE_ROUNDS = 8;

export class ProtocolStore implements Store {
  private readonly listeners = new Set<(envelope: Envelope) => void>();
  private readonly tickListeners = new Set<(report: TickReport) => void>();
  private readonly redeliverAfterMs: number;
  private readonly clock: () => number;
  private readonly limits: Limits;
  private readonly retentionMs: number;
  private readonly requests: GroupApply;
  private readonly declared = new DeclaredLimits();
  private closed = false;

  constructor(
    private readonly backend: Backend,
    options: ProtocolStoreOptions = {},
  ) {
    this.redeliverAfterMs = options.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS;
    this.clock = options.clock ?? Date.now;
    this.limits = resolveLimits(options.limits);
    this.retentionMs = checkRetention("retentionMs", options.retentionMs ?? DEFAULT_RETENTION_MS);
    this.requests = new GroupApply(backend, (tx, now, outbox) => this.context(tx, now, outbox), (outbox) => this.deliver(outbox));
    backend.broadcast?.subscribe((envelope) => this.emit(envelope));
  }

  /**
   * Validated at once (a 400 never waits for a transaction), unless the HTTP edge already
   * accepted this very request under limits no looser than ours; then queued for the next batch.
   */
  apply<R extends Request>(req: R, now: number = this.clock()): Promise<Response<R["kind"]>> {
    if (this.closed) return Promise.reject(new Error("Store is closed"));
    const refusal = typeof req === "object" && req !== null && validatedWithin(req, this.limits) ? undefined : validateRequest(req, this.limits);
    const kind: R["kind"] = req?.kind;
    if (refusal !== undefined) return Promise.resolve(toResponse(kind, req?.head, fail(STATUS.badRequest, refusal.message)));
    // The queue answers each request with a response of its own kind.
    return this.requests.submit(req, now) as unknown as Promise<Response<R["kind"]>>;
  }

  /**
   * A step record (protocol/step-record.ts): queued as it is when its parts were checked under
   * limits no looser than ours, else validated and applied as the request it stands for.
   */
  recordStep(step: StepRecord, now: number = this.clock()): Promise<StepAnswer> {
    if (this.closed) return Promise.reject(new Error("Store is closed"));
    if (step.checkedUnder > this.limits.maxValueBytes) return this.apply(stepFenceRequest(step), now);
    return this.requests.submitStep(step, now);
  }

  /**
   * The items are queued together, so they share a transaction (one queued behind other requests,
   * or larger than a transaction takes, may span two). An item that throws is answered 500 alone:
   * its neighbours committed.
   */
  async applyBatch(reqs: readonly Request[], now: number = this.clock()): Promise<Response[]> {
    this.assertOpen();
    return Promise.all(
      reqs.map((req) =>
        this.apply(req, now).catch((error: unknown) =>
          toResponse(req?.kind, req?.head, fail(STATUS.internal, error instanceof Error ? error.message : String(error))),
        ),
      ),
    );
  }

  onOtherCommits(listener: () => void): () => void {
    return this.backend.onOtherCommits?.(listener) ?? (() => {});
  }

  onSpeculation(listener: (outcome: SpeculationOutcome) => void): () => void {
    return this.backend.onSpeculation?.(listener) ?? (() => {});
  }

  onTick(listener: (report: TickReport) => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  async tick(now: number = this.clock()): Promise<number> {
    let changed = 0;
    for (let round = 0; round < MAX_TICK_ROUNDS; round++) {
      const { result, outbox } = await this.transact(now, (ctx) => tick(ctx, TICK_BATCH));
      await this.deliver(outbox);
      changed += result.changed;
      if (result.leasesExpired > 0) for (const listener of this.tickListeners) listener({ leasesExpired: result.leasesExpired });
      if (!result.more) break;
    }
    return changed;
  }

  /**
   * Deletes finished executions (kernel/retention.ts) in short transactions of their own. Without
   * `olderThanMs`, those whose retention has passed, for at most MAX_PURGE_ROUNDS transactions
   * (`more` says whether it stopped with work left); with it, every execution that finished at
   * least that long ago, whatever its retention, until none is left.
   */
  async purge(options: PurgeOptions = {}): Promise<PurgeReport> {
    const now = options.now ?? this.clock();
    const report: PurgeReport = { executions: 0, promises: 0, kept: 0, more: false };
    const olderThanMs = options.olderThanMs === undefined ? undefined : checkRetention("olderThanMs", options.olderThanMs);
    let after: FinishedRoot | undefined;
    for (let round = 0; olderThanMs !== undefined || round < MAX_PURGE_ROUNDS; round++) {
      const { result: step } = await this.transact(now, (ctx) =>
        olderThanMs === undefined ? purgeDue(ctx, PURGE_BUDGET) : purgeSettledBy(ctx, now - olderThanMs, PURGE_BUDGET, after),
      );
      report.executions += step.executions;
      report.promises += step.promises;
      report.kept += step.kept;
      after = step.last ?? after;
      report.more = step.more;
      if (!step.more) break;
    }
    return report;
  }

  /** The retention row of a finished execution `id`: when it settled, when it will be deleted. */
  async finishedRoot(id: string): Promise<FinishedRoot | undefined> {
    this.assertOpen();
    return this.backend.transaction((tx) => tx.getFinished(id));
  }

  async nextDeadline(): Promise<number | undefined> {
    this.assertOpen();
    return this.backend.transaction((tx) => tx.nextDeadline());
  }

  onMessage(listener: (envelope: Envelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Requests already queued are answered (and their messages delivered) before the backend closes.
    await this.requests.idle();
    this.listeners.clear();
    await this.backend.close();
  }

  // -------------------------------------------------------------------------------------------

  /**
   * One backend transaction of its own (the tick's). The context is made inside `work` because a backend may run `work`
   * again after a lost race (Postgres); only the attempt that commits hands out its outbox.
   */
  private async transact<T>(now: number, work: (ctx: KernelContext) => Promise<T>): Promise<{ result: T; outbox: readonly Envelope[] }> {
    this.assertOpen();
    return this.backend.transaction(async (tx) => {
      const ctx = this.context(withRowCache(tx), now, []);
      const result = await work(ctx);
      return { result, outbox: ctx.outbox };
    });
  }

  /** What one transition sees: the store's settings over `tx` at `now`, writing messages to `outbox`. */
  private context(tx: Tx, now: number, outbox: Envelope[]): KernelContext {
    return new KernelContext(tx, now, this.redeliverAfterMs, outbox, this.declared, this.retentionMs);
  }

  private async deliver(outbox: readonly Envelope[]): Promise<void> {
    if (outbox.length === 0) return;
    const broadcast = this.backend.broadcast;
    if (broadcast) {
      try {
        // Every process sharing the backend hears it, this one included (through subscribe).
        await broadcast.publish([...outbox]);
        return;
      } catch {
        // Fall through: this process at least hears it; others recover through re-delivery.
      }
    }
    for (const envelope of outbox) this.emit(envelope);
  }

  private emit(envelope: Envelope): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(envelope);
      } catch (error) {
        // A listener's failure is its own: the change is committed and other listeners still hear.
        console.error("reprise: a store message listener threw", error);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("Store is closed");
  }
}
