/**
 * Group commit of protocol requests: the requests that arrive while one batch is being applied
 * and committed form the next, and a batch is ONE backend transaction. Its items run in order
 * through the kernel's transitions over one row cache (an item sees the writes of the items before
 * it) and one outbox; nobody is answered, and no message leaves, before the commit.
 *
 * An item refused with a 4xx changed nothing (transitions decide before they write), so it just
 * gets its answer. An item that throws (a broken invariant, a driver error) takes the whole
 * transaction down with it: the batch's items are then applied again one by one, each in its own
 * transaction, so a bad item never fails its neighbours.
 *
 * Besides requests, the queue takes step records (protocol/step-record.ts), the embedded SDK's
 * commonest write without a request around it: decided at once where the backend answers by id
 * at once, else applied as the `task.fence` it stands for.
 */
import type { Envelope } from "../../protocol/messages.js";
import type { PromiseRecord } from "../../protocol/records.js";
import type { Request, RequestKind, RequestOf, Response, TaskFenceReq } from "../../protocol/requests.js";
import { fencedStepOf, stepFenceRequest, type StepAnswer, type StepRecord } from "../../protocol/step-record.js";
import { NOT_NOW, type Backend, type Tx } from "../backend.js";
import type { KernelContext } from "./context.js";
import { dispatch } from "./dispatch.js";
import { addFencedCreateRows, addNamedRows, type NamedRows } from "./named-rows.js";
import { ok, toResponse } from "./outcome.js";
import { withRowCache } from "./row-cache.js";
import { recordStepAtOnce } from "./step-record.js";

/** Most requests in one transaction: bounds how long a batch holds the write lock (or row locks). */
export const MAX_REQUESTS_PER_TRANSACTION = 1000;

interface Queued {
  /** A request, or (no kind) a step record. */
  req: Request | StepRecord;
  now: number;
  answer: (response: Response | PromiseRecord) => void;
  fail: (error: unknown) => void;
}

interface Applied {
  responses: (Response | PromiseRecord)[];
  outbox: Envelope[];
}

export class GroupApply {
  private readonly queue: Queued[] = [];
  private draining: Promise<void> | undefined;
  /** Requests in the last batch: one means a caller writing alone (a sequential workflow). */
  private lastBatchSize = 0;

  constructor(
    private readonly backend: Backend,
    /** The store's context of one item: its transaction (row-cached), its time, the batch's outbox. */
    private readonly context: (tx: Tx, now: number, outbox: Envelope[]) => KernelContext,
    /** Hands a committed transaction's messages to listeners; resolves before answers are given. */
    private readonly deliver: (outbox: readonly Envelope[]) => Promise<void>,
  ) {}

  /** Queues a validated request; resolves with its answer once its transaction has committed. */
  submit(req: Request, now: number): Promise<Response> {
    return this.enqueue(req, now) as Promise<Response>;
  }

  /** Queues a step record whose parts were checked; resolves with the record made, or the answer of the request it stands for. */
  submitStep(step: StepRecord, now: number): Promise<StepAnswer> {
    return this.enqueue(step, now) as Promise<StepAnswer>;
  }

  private enqueue(req: Request | StepRecord, now: number): Promise<Response | PromiseRecord> {
    return new Promise<Response | PromiseRecord>((answer, fail) => {
      this.queue.push({ req, now, answer, fail });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once every queued request has been answered. */
  async idle(): Promise<void> {
    await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.lastBatchSize === 1 && this.backend.transactionNow !== undefined) {
          // A caller writing alone (a sequential workflow's steps): once this turn's microtasks
          // have had their chance to join, a step record still alone is made at once, without
          // the queue's transaction and its promises.
          await undefined;
          if (this.queue.length === 1 && this.recordedAtOnce(this.queue[0]!)) {
            this.queue.shift();
            continue;
          }
        }
        await this.runBatch();
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async runBatch(): Promise<void> {
    let batch: Queued[] | undefined;
    let applied: Applied;
    try {
      applied = await this.backend.transaction(
        (tx) => {
          // Taken when the transaction starts, not when it is asked for: whatever arrived while the
          // backend opened it (SQLite waits a turn, PostgreSQL a round trip) joins. A retried
          // attempt (PostgreSQL lost a race) runs the same items again from scratch.
          batch ??= this.queue.splice(0, MAX_REQUESTS_PER_TRANSACTION);
          this.lastBatchSize = batch.length;
          return this.applyAll(tx, batch);
        },
        // After a batch of one, the next request most likely comes alone too: a lone workflow
        // would pay a turn of the event loop per step waiting for company that never comes. A
        // batch reads rows by id and writes rows, so it may be speculated (TransactionOptions).
        { alone: this.lastBatchSize === 1 && this.queue.length === 1, speculative: true },
      );
    } catch (error) {
      if (batch === undefined) {
        // The transaction never started (closed backend, no write lock): what it would have held fails.
        for (const item of this.queue.splice(0, MAX_REQUESTS_PER_TRANSACTION)) item.fail(error);
      } else if (batch.length === 1) {
        batch[0]!.fail(error);
      } else {
        await this.applyOneByOne(batch);
      }
      return;
    }
    await this.deliver(applied.outbox);
    batch!.forEach((item, n) => item.answer(applied.responses[n]!));
  }

  /**
   * Makes a lone step record in a transaction of its own, begun and committed at once
   * (`Backend.transactionNow`), and answers it; false, having done nothing, for a request, a
   * record the general transition must decide (kernel/step-record.ts), or when the backend
   * cannot begin at once.
   */
  private recordedAtOnce(item: Queued): boolean {
    const step = item.req;
    if (!isStep(step)) return false;
    let made: PromiseRecord | undefined | typeof NOT_NOW;
    try {
      made = this.backend.transactionNow!((tx) => tx.syncRows && recordStepAtOnce(this.context(tx, item.now, []), tx.syncRows, step));
    } catch (error) {
      item.fail(error);
      return true;
    }
    if (made === undefined || made === NOT_NOW) return false;
    item.answer(made);
    return true;
  }

  /** After a batch failed as a whole: each item alone, so only the one that throws fails. */
  private async applyOneByOne(batch: readonly Queued[]): Promise<void> {
    for (const item of batch) {
      try {
        const applied = await this.backend.transaction((tx) => this.applyAll(tx, [item]));
        await this.deliver(applied.outbox);
        item.answer(applied.responses[0]!);
      } catch (error) {
        item.fail(error);
      }
    }
  }

  /** One attempt of one transaction: fresh row cache and outbox, so a retry starts clean. */
  private async applyAll(tx: Tx, batch: readonly Queued[]): Promise<Applied> {
    const cached = withRowCache(tx);
    const named: NamedRows = { promises: [], tasks: [], created: [] };
    const rows = cached.syncRows;
    // The step write each item is or carries (a StepRecord, or a server client's `task.fence`).
    const steps = batch.map(({ req }) => (isStep(req) ? req : fencedStepOf(req)));
    batch.forEach(({ req }, n) => {
      const step = steps[n];
      if (step) addFencedCreateRows(step.taskId, step.create, named, rows === undefined);
      else addNamedRows(req as Request, named);
    });
    cached.expectNew?.(named.created);
    await cached.prefetch(named.promises, named.tasks);
    const outbox: Envelope[] = [];
    const responses: (Response | PromiseRecord)[] = [];
    for (const [n, { req, now }] of batch.entries()) {
      const ctx = this.context(cached, now, outbox);
      const step = steps[n];
      const promise = rows && step ? recordStepAtOnce(ctx, rows, step) : undefined;
      if (isStep(req)) responses.push(promise ?? (await applyOne(ctx, stepFenceRequest(req))));
      else if (promise) responses.push(fenceAnswer(req as TaskFenceReq, promise));
      else responses.push(await applyOne(ctx, req as RequestOf<RequestKind>));
    }
    return { responses, outbox };
  }
}

function isStep(req: Request | StepRecord): req is StepRecord {
  return !("kind" in req);
}

/** The answer to a `task.fence` whose step record was made at once, as `fenceTask` gives it. */
function fenceAnswer(req: TaskFenceReq, promise: PromiseRecord): Response<"task.fence"> {
  return toResponse("task.fence", req.head, ok({ action: toResponse("promise.create", req.data.action.head, ok({ promise })), preload: [] }));
}

async function applyOne<K extends RequestKind>(ctx: KernelContext, req: RequestOf<K>): Promise<Response<K>> {
  return toResponse(req.kind as K, req.head, await dispatch(ctx, req));
}
