/**
 * Group commit: transactions queued while another batch runs are executed back to back inside
 * one BEGIN IMMEDIATE … COMMIT, so a burst of callers pays for one fsync instead of one each.
 * Each transaction but the first runs in its own SAVEPOINT: one that throws is rolled back to its
 * savepoint and rejects alone, while the others still commit. The first needs none (a throw rolls
 * the whole transaction back, with nothing else in it yet), so a lone transaction (the store's
 * batch of requests) pays BEGIN IMMEDIATE, its statements and COMMIT. Nobody is answered before
 * the COMMIT.
 */
import type Database from "better-sqlite3";
import { NOT_NOW } from "../backend.js";

/** Told where each transaction stands, for what must follow its outcome (committed-rows.ts). */
export interface TransactionWatcher {
  /** BEGIN succeeded: the write lock is held. */
  began(): void;
  /** COMMIT succeeded. */
  committed(): void;
  /** A job was rolled back to its savepoint, or the whole transaction was. */
  abandoned(): void;
}

/**
 * Batches holding a write lock in this process now, on any connection. Two stores on one file in
 * one process share this thread, and a BEGIN IMMEDIATE that finds the lock taken waits in
 * SQLite's busy handler, synchronously: the holder, whose batch needs this thread to reach its
 * COMMIT, never gets to release it, and the wait ends in SQLITE_BUSY ("database is locked") after
 * busy_timeout. A lone request's batch starts in a microtask, which can run in the middle of
 * another store's batch; so a batch begins only while none is open here, and otherwise waits a
 * turn of the event loop (an open batch commits within its turn).
 */
let openBatches = 0;
/** How long a batch waits for another store's open batch before it tries the lock anyway. */
const MAX_YIELD_MS = 1_000;

interface Job<T> {
  work: () => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private readonly queue: Job<unknown>[] = [];
  private draining = false;
  /** Since when this store has been waiting for another store's open batch (see openBatches). */
  private yieldingSince: number | undefined;
  /** Batches committed so far (each one BEGIN … COMMIT); transactions per batch = work shared. */
  committedBatches = 0;
  private readonly statements: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Database.Statement>;

  constructor(
    private readonly db: Database.Database,
    /** Most transactions in one batch; bounds how long the write lock is held. */
    private readonly maxBatch: number,
    private readonly watcher?: TransactionWatcher,
  ) {
    this.statements = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT job"),
      release: db.prepare("RELEASE job"),
      rollbackTo: db.prepare("ROLLBACK TO job"),
    };
  }

  /**
   * Queues `work` for the next batch. `alone`: the caller expects no company (see
   * TransactionOptions), so an idle group commit starts once this turn's microtasks have run
   * rather than on the next turn of the event loop.
   */
  run<T>(work: () => Promise<T>, alone = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject } as Job<unknown>);
      if (!this.draining) {
        this.draining = true;
        // Start on the next turn, so that callers arriving meanwhile (a step's settle right after
        // its create) share the first batch. The write lock is taken only then, and never held
        // across a turn of the event loop: another connection in this process would block on it
        // synchronously, and the lock would never be released. A microtask keeps that: the
        // batch still runs to its COMMIT within the turn.
        if (alone) queueMicrotask(() => void this.drain());
        else setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Runs `work` at once as a batch of its own (BEGIN IMMEDIATE, `work`, COMMIT), when no batch
   * is queued or open in this process; `work` answering undefined is rolled back. NOT_NOW when a
   * batch is queued or open. Throws, as a queued batch fails, when the write lock was not to be had.
   */
  runNow<T>(work: () => T | undefined): T | undefined | typeof NOT_NOW {
    if (this.draining || openBatches > 0) return NOT_NOW;
    this.statements.begin.run();
    openBatches++;
    try {
      this.watcher?.began();
      const value = work();
      if (value === undefined) this.rollBack();
      else this.commit();
      return value;
    } catch (error) {
      this.rollBack();
      throw error;
    } finally {
      openBatches--;
    }
  }

  /** Resolves once every queued transaction has been answered. */
  async idle(): Promise<void> {
    while (this.draining) await new Promise((resolve) => setImmediate(resolve));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runBatch();
    } finally {
      this.draining = false;
    }
  }

  private async runBatch(): Promise<void> {
    if (openBatches > 0) {
      // An open batch commits within its turn. One held longer is a bug elsewhere: after a while
      // this batch begins anyway, and SQLite's busy timeout decides, as it would without this wait.
      this.yieldingSince ??= Date.now();
      if (Date.now() - this.yieldingSince < MAX_YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        return;
      }
    }
    this.yieldingSince = undefined;
    try {
      this.statements.begin.run();
    } catch (error) {
      // No write lock within busy_timeout: this batch fails, the next one tries again.
      for (const job of this.queue.splice(0, this.maxBatch)) job.reject(error);
      return;
    }
    openBatches++;
    let answer: () => void;
    try {
      answer = await this.runBegunBatch();
    } finally {
      openBatches--;
    }
    // Answered once the lock is released, so whatever the answers set going may begin a batch.
    answer();
  }

  /** The batch after its BEGIN: its jobs, then COMMIT (or the rollback of what failed); returns how to answer them. */
  private async runBegunBatch(): Promise<() => void> {
    this.watcher?.began();
    const first = this.queue.shift()!;
    let value: unknown;
    try {
      value = await first.work();
    } catch (error) {
      return this.failAll([first], error);
    }
    const batch: Job<unknown>[] = [first];
    const answers: (() => void)[] = [() => first.resolve(value)];
    try {
      // Jobs that arrive while the batch runs join it, up to the cap.
      while (this.queue.length > 0 && batch.length < this.maxBatch) {
        const job = this.queue.shift()!;
        batch.push(job);
        answers.push(await this.runJob(job));
      }
      this.commit();
    } catch (error) {
      // The transaction itself failed (SQLite abandoned it, or COMMIT did): nothing in it commits.
      return this.failAll(batch, error);
    }
    return () => {
      for (const answer of answers) answer();
    };
  }

  /** COMMIT, counted and told to the watcher. */
  private commit(): void {
    this.statements.commit.run();
    this.committedBatches++;
    this.watcher?.committed();
  }

  /** Abandons the transaction: the watcher forgets its writes, and SQLite rolls back what it has not already. */
  private rollBack(): void {
    this.watcher?.abandoned();
    if (this.db.inTransaction) this.statements.rollback.run();
  }

  /** Runs one job in its savepoint; returns how to answer it once the batch has committed. */
  private async runJob(job: Job<unknown>): Promise<() => void> {
    this.statements.savepoint.run();
    try {
      const value = await job.work();
      this.statements.release.run();
      return () => job.resolve(value);
    } catch (error) {
      if (!this.db.inTransaction) throw error;
      this.watcher?.abandoned();
      this.statements.rollbackTo.run();
      this.statements.release.run();
      return () => job.reject(error);
    }
  }

  /** Rolls the transaction back; returns how to fail every job of the batch. */
  private failAll(batch: Job<unknown>[], error: unknown): () => void {
    this.rollBack();
    return () => {
      for (const job of batch) job.reject(error);
    };
  }
}
