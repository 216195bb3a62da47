/**
 * Speculative transactions: ONE round trip for a batch whose rows this server already knows.
 *
 * An ordinary transaction is two round trips: BEGIN with the locking reads, then the writes with
 * COMMIT. The kernel needs the reads before it decides, but the rows a running execution's steps
 * read (its task and its root promise) are those this server wrote or read moments ago, and the
 * rows they create (the steps) are new. So the work runs first on a `SpeculativeTx` that answers
 * reads from known-rows.ts (and takes the promises the batch creates as missing) and buffers the
 * writes; then one statement writes them and checks, under row locks, that every row decided from
 * is still at the version it was read at (write-behind.ts `flushStatement`). One statement is its
 * own transaction: either all of it commits, or a changed row (or a lost insert race) aborts all
 * of it and the work runs again the ordinary way, reading the rows. The protocol's rules stay in
 * the kernel; what changes is only where the rows come from and when they are checked.
 *
 * Anything else the work asks for (a scan, a take of waiters the table may hold, flow control,
 * schedules, a row this server does not know) ends the speculation before anything was sent.
 */
import type pg from "pg";
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";
import type { SpeculationOutcome, Tx } from "../backend.js";
import type { KnownRow, KnownRows } from "./known-rows.js";
import { isRetryable } from "./retry.js";
import { byId, compareIds } from "./tx.js";
import { WriteBehind, type Expected } from "./write-behind.js";

/** The speculation needs something it cannot answer without the database: run the work the ordinary way. */
export class SpeculationMiss extends Error {
  constructor(what: string) {
    super(`speculation needs ${what}`);
    this.name = "SpeculationMiss";
  }
}

export type Speculated<T> = { done: true; result: T } | { done: false };

const NOT_DONE = { done: false } as const;

/**
 * Runs `work` speculatively and commits it in one statement. Not done when the work needed more
 * than known rows, or the rows it decided from had changed (nothing was written then): the caller
 * runs it the ordinary way. Errors other than those are the caller's, as from an ordinary commit.
 */
export async function speculate<T>(
  pool: pg.Pool,
  known: KnownRows,
  work: (tx: Tx) => Promise<T>,
  report?: (outcome: SpeculationOutcome) => void,
): Promise<Speculated<T>> {
  const tx = new SpeculativeTx(known);
  let result: T;
  try {
    result = await work(tx);
  } catch {
    // A miss, or an outcome of guessed rows (e.g. an invariant that a known task has its promise):
    // the ordinary way decides from the table, and fails there if the failure is real.
    report?.("missed");
    return NOT_DONE;
  }
  if (tx.decidedFromNothing) return { done: true, result };
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const xid = await tx.commit(client);
    // The rows it decided from are as it read them (the check said so): only its writes are news.
    known.learn({ written: tx.written, xid });
    report?.("committed");
    return { done: true, result };
  } catch (error) {
    if (!isRetryable(error)) {
      // The statement's outcome is unknown (a lost connection) or it broke an invariant: as after
      // an ordinary COMMIT that failed, the caller gets the error, and the connection is not reused.
      broken = error as Error;
      throw error;
    }
    // Something it decided from changed: forget it, so the next batch does not guess it again.
    for (const id of tx.decidedFrom()) known.forget(id);
    report?.("stale");
    return NOT_DONE;
  } finally {
    client.release(broken);
  }
}

const missing = (what: string) => async (): Promise<never> => {
  throw new SpeculationMiss(what);
};

/** A Tx over known rows: reads are answered from them and remembered as expectations; writes are buffered. */
export class SpeculativeTx implements Tx {
  private readonly writes = new WriteBehind();
  private readonly expected: Expected = { promises: new Map(), tasks: new Map() };
  /** Promises the work is about to create (`expectNew`): taken as missing without a read. */
  private readonly fresh = new Set<string>();

  constructor(private readonly known: KnownRows) {}

  expectNew(promiseIds: readonly string[]): void {
    for (const id of promiseIds) this.fresh.add(id);
  }

  /** The work read no row and wrote nothing: its outcome needs no statement. */
  get decidedFromNothing(): boolean {
    return this.expected.promises.size === 0 && this.expected.tasks.size === 0 && this.writes.empty;
  }

  get written(): WriteBehind["written"] {
    return this.writes.written;
  }

  /** The ids of the rows the work decided from. */
  decidedFrom(): string[] {
    return [...this.expected.promises.keys(), ...this.expected.tasks.keys()];
  }

  /** The writes and the check, in one statement (its own transaction); resolves with its transaction id. */
  async commit(client: pg.PoolClient): Promise<string | undefined> {
    return this.writes.flush(client, this.writes.waitersToWrite(), this.toCheck());
  }

  /**
   * The expectations the statement checks, in id order (the order its locks are taken in, as every
   * transaction's). A row read as missing and inserted here needs no check: a row inserted
   * meanwhile fails the insert itself (a unique violation).
   */
  private toCheck(): Expected {
    const check = (rows: Map<string, string | null>, insertedHere: (id: string) => boolean) =>
      new Map([...rows].filter(([id, rev]) => rev !== null || !insertedHere(id)).sort(([a], [b]) => compareIds(a, b)));
    return {
      promises: check(this.expected.promises, (id) => this.writes.insertsPromise(id)),
      tasks: check(this.expected.tasks, (id) => this.writes.insertsTask(id)),
    };
  }

  async getPromise(id: string): Promise<PromiseRecord | undefined> {
    return this.writes.promise(id) ?? this.readKnown("promise", id, this.known.promise(id), this.expected.promises);
  }

  async getPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
    return byId(await present(ids, (id) => this.getPromise(id)));
  }

  async insertPromise(promise: PromiseRecord): Promise<void> {
    this.writes.insertPromise(promise);
  }

  async updatePromise(promise: PromiseRecord): Promise<void> {
    this.writes.updatePromise(promise);
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    // A task is made with its promise: a promise about to be created has none yet.
    return this.writes.task(id) ?? this.readKnown("task", id, this.known.task(id), this.expected.tasks);
  }

  async getTasks(ids: readonly string[]): Promise<TaskRecord[]> {
    return byId(await present(ids, (id) => this.getTask(id)));
  }

  async putTask(task: TaskRecord): Promise<void> {
    // Read as missing: inserted, so that a concurrent insert fails the statement instead of being overwritten.
    this.writes.putTask(task, this.expected.tasks.get(task.id) === null);
  }

  async addCallback(awaited: string, awaiter: string): Promise<void> {
    this.writes.addCallback(awaited, awaiter);
  }

  // A promise inserted here (nothing is flushed before the commit): nobody else can have registered
  // callbacks or listeners on it, so only those added here exist.
  async takeCallbacks(awaited: string): Promise<string[]> {
    if (!this.writes.insertsPromise(awaited)) throw new SpeculationMiss("the callbacks table");
    return this.writes.takeCallbacks(awaited);
  }

  async deleteCallbacksOf(awaiter: string): Promise<void> {
    if (!this.writes.insertsPromise(awaiter)) throw new SpeculationMiss("the callbacks table");
    this.writes.dropCallbacksOf(awaiter);
  }

  async addListener(awaited: string, address: string): Promise<void> {
    this.writes.addListener(awaited, address);
  }

  async takeListeners(awaited: string): Promise<string[]> {
    if (!this.writes.insertsPromise(awaited)) throw new SpeculationMiss("the listeners table");
    return this.writes.takeListeners(awaited);
  }

  async putFinished(root: Parameters<Tx["putFinished"]>[0]): Promise<void> {
    this.writes.putFinished(root);
  }

  async getFinished(id: string): ReturnType<Tx["getFinished"]> {
    const written = this.writes.finishedRoot(id);
    if (written) return written;
    throw new SpeculationMiss("the finished roots");
  }

  /**
   * A row not written here: the known one (the check will expect its revision), or missing if the
   * batch is about to create it (the check will expect it still missing); the same answer again if
   * read before. Anything else is a miss.
   */
  private readKnown<R>(what: string, id: string, known: KnownRow<R> | undefined, expected: Map<string, string | null>): R | undefined {
    const seen = expected.get(id);
    if (seen === null) return undefined;
    if (seen !== undefined) {
      // A row known then and forgotten or replaced since (another transaction learnt it) is a miss.
      if (known?.rev === seen) return known.record;
    } else if (known) {
      expected.set(id, known.rev);
      return known.record;
    } else if (this.fresh.has(id)) {
      expected.set(id, null);
      return undefined;
    }
    throw new SpeculationMiss(`${what} ${JSON.stringify(id)}`);
  }

  // Everything else reads or writes beyond known rows.
  searchPromises = missing("a promise search");
  duePromises = missing("a scan of due promises");
  promisesUnder = missing("a range of promises");
  promisesUnderEach = missing("ranges of promises");
  searchTasks = missing("a task search");
  dueTasks = missing("a scan of due tasks");
  taskHolders = missing("the holders of tasks");
  getSchedule = missing("schedules");
  putSchedule = missing("schedules");
  deleteSchedule = missing("schedules");
  searchSchedules = missing("schedules");
  dueSchedules = missing("schedules");
  getFlowLimits = missing("flow control");
  getFlowLimit = missing("flow control");
  putFlowLimit = missing("flow control");
  deleteFlowLimit = missing("flow control");
  lockFlowRow = missing("flow control");
  putFlowRow = missing("flow control");
  deleteFlowRow = missing("flow control");
  dueFlowRows = missing("flow control");
  queueTask = missing("flow control");
  unqueueTask = missing("flow control");
  queuedAhead = missing("flow control");
  queueHeads = missing("flow control");
  flowCounts = missing("flow control");
  nextDeadline = missing("the next deadline");
  finishedDue = missing("the finished roots");
  finishedBy = missing("the finished roots");
  hasPendingWithPrefix = missing("a range of promises");
  deleteWithPrefix = missing("a deletion");
  deletePromise = missing("a deletion");
}

async function present<R>(ids: readonly string[], read: (id: string) => Promise<R | undefined>): Promise<R[]> {
  const found: R[] = [];
  for (const id of new Set(ids)) {
    const row = await read(id);
    if (row !== undefined) found.push(row);
  }
  return found;
}
