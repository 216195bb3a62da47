/**
 * A Tx that remembers the promises and tasks a transaction has read or written, so the rules can
 * read the same row several times (a fence reads the task's promise three times; the items of one
 * batch read each other's rows) for one query. `prefetch` fills it for a whole batch up front, one
 * query per table. It lives for one transaction attempt only; the rows it holds are locked by it
 * (PostgreSQL) or by the write lock (SQLite), so nobody else can change them meanwhile.
 */
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";
import type { SyncRows, Tx } from "../backend.js";

export interface CachedTx extends Tx {
  /** Reads every row named here that is not cached yet; a missing row is remembered as missing. */
  prefetch(promiseIds: readonly string[], taskIds: readonly string[]): Promise<void>;
}

export function withRowCache(tx: Tx): CachedTx {
  return new RowCache(tx) as unknown as CachedTx;
}

/** The Tx members RowCache answers itself; every other one passes through to the transaction. */
type Cached = "getPromise" | "getPromises" | "insertPromise" | "updatePromise" | "getTask" | "getTasks" | "putTask" | "deleteWithPrefix" | "deletePromise" | "expectNew" | "syncRows";

const PASSED_THROUGH = [
  "searchPromises", "duePromises", "promisesUnder", "addCallback", "takeCallbacks", "deleteCallbacksOf", "addListener", "takeListeners",
  "searchTasks", "dueTasks", "getSchedule", "putSchedule", "deleteSchedule", "searchSchedules", "dueSchedules", "getFlowLimits",
  "getFlowLimit", "putFlowLimit", "deleteFlowLimit", "lockFlowRow", "putFlowRow", "deleteFlowRow", "dueFlowRows", "queueTask",
  "unqueueTask", "queuedAhead", "queueHeads", "flowCounts", "nextDeadline", "putFinished", "getFinished", "finishedDue", "finishedBy",
  "hasPendingWithPrefix",
] as const satisfies readonly Exclude<keyof Tx, Cached>[];

/** A Tx member added without being cached or passed through fails to compile here. */
type Forgotten = Exclude<keyof Tx, Cached | (typeof PASSED_THROUGH)[number]>;
const nothingForgotten: [Forgotten] extends [never] ? true : Forgotten = true;
void nothingForgotten;

/**
 * A class, not `Object.create(tx)` with the cached methods on top: every transaction's Tx is a
 * new object, and making a new object a prototype costs V8 about 10 µs (measured: 9–13 µs a
 * call against 0.3), paid by every lone request (one sequential workflow's every step).
 */
class RowCache {
  private readonly promises = new Map<string, PromiseRecord | undefined>();
  private readonly tasks = new Map<string, TaskRecord | undefined>();
  /** The same cache as the methods below: a transition reading at once sees what the others wrote. */
  readonly syncRows: SyncRows | undefined;

  constructor(private readonly tx: Tx) {
    this.syncRows = tx.syncRows && cachedSyncRows(tx.syncRows, this.promises, this.tasks);
  }

  async prefetch(promiseIds: readonly string[], taskIds: readonly string[]): Promise<void> {
    // Promises before tasks, as every transition locks them; both reads are sent at once, so a
    // pipelining backend (PostgreSQL) answers them in one round trip.
    await Promise.all([fill(this.promises, promiseIds, (ids) => this.tx.getPromises(ids)), fill(this.tasks, taskIds, (ids) => this.tx.getTasks(ids))]);
  }

  expectNew(promiseIds: readonly string[]): void {
    this.tx.expectNew?.(promiseIds);
  }

  async getPromise(id: string): Promise<PromiseRecord | undefined> {
    if (this.promises.has(id)) return this.promises.get(id);
    const promise = await this.tx.getPromise(id);
    this.promises.set(id, promise);
    return promise;
  }

  async getPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
    await fill(this.promises, ids, (missing) => this.tx.getPromises(missing));
    return present(this.promises, ids);
  }

  async insertPromise(promise: PromiseRecord): Promise<void> {
    this.promises.delete(promise.id);
    await this.tx.insertPromise(promise);
    this.promises.set(promise.id, promise);
  }

  async updatePromise(promise: PromiseRecord): Promise<void> {
    this.promises.delete(promise.id);
    await this.tx.updatePromise(promise);
    this.promises.set(promise.id, promise);
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    if (this.tasks.has(id)) return this.tasks.get(id);
    const task = await this.tx.getTask(id);
    this.tasks.set(id, task);
    return task;
  }

  async getTasks(ids: readonly string[]): Promise<TaskRecord[]> {
    await fill(this.tasks, ids, (missing) => this.tx.getTasks(missing));
    return present(this.tasks, ids);
  }

  async putTask(task: TaskRecord): Promise<void> {
    this.tasks.delete(task.id);
    await this.tx.putTask(task);
    this.tasks.set(task.id, task);
  }

  async deleteWithPrefix(prefix: string, limit: number): Promise<number> {
    // Which rows went is not known here: forget every cached one under the prefix.
    for (const cache of [this.promises, this.tasks]) for (const id of cache.keys()) if (id.startsWith(prefix)) cache.delete(id);
    return this.tx.deleteWithPrefix(prefix, limit);
  }

  async deletePromise(id: string): Promise<void> {
    this.promises.delete(id);
    this.tasks.delete(id);
    await this.tx.deletePromise(id);
  }
}

// The passed-through members, defined once on the class's prototype.
for (const name of PASSED_THROUGH) {
  Object.defineProperty(RowCache.prototype, name, {
    value: function (this: { tx: Record<string, (...args: unknown[]) => unknown> }, ...args: unknown[]) {
      return this.tx[name]!(...args);
    },
  });
}

function cachedSyncRows(rows: SyncRows, promises: Map<string, PromiseRecord | undefined>, tasks: Map<string, TaskRecord | undefined>): SyncRows {
  return {
    getPromise(id) {
      if (promises.has(id)) return promises.get(id);
      const promise = rows.getPromise(id);
      promises.set(id, promise);
      return promise;
    },
    getTask(id) {
      if (tasks.has(id)) return tasks.get(id);
      const task = rows.getTask(id);
      tasks.set(id, task);
      return task;
    },
    insertNewPromise(promise) {
      if (promises.get(promise.id) !== undefined) return false;
      if (!rows.insertNewPromise(promise)) return false;
      promises.set(promise.id, promise);
      return true;
    },
  };
}

/** Reads the ids not cached yet in one call and caches each, found or not. */
async function fill<R extends { id: string }>(
  cache: Map<string, R | undefined>,
  ids: readonly string[],
  read: (ids: string[]) => Promise<R[]>,
): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !cache.has(id));
  if (missing.length === 0) return;
  const found = await read(missing);
  for (const id of missing) cache.set(id, undefined);
  for (const row of found) cache.set(row.id, row);
}

/** The cached rows of the distinct `ids` that exist, in id order, as the Tx answers. */
function present<R>(cache: Map<string, R | undefined>, ids: readonly string[]): R[] {
  return [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).flatMap((id) => {
    const row = cache.get(id);
    return row === undefined ? [] : [row];
  });
}
