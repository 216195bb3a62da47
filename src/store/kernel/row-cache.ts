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
type Cached =
  | "getPromise" | "getPromises" | "insertPromise" | "updatePromise" | "promisesUnder" | "promisesUnderEach" | "getTask" | "getTasks" | "putTask"
  | "deleteWithPrefix" | "deletePromise" | "expectNew" | "syncRows";

const PASSED_THROUGH = [
  "searchPromises", "duePromises", "addCallback", "takeCallbacks", "deleteCallbacksOf", "addListener", "takeListeners",
  "searchTasks", "dueTasks", "taskHolders", "getSchedule", "putSchedule", "deleteSchedule", "searchSchedules", "dueSchedules", "getFlowLimits",
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
  private readonly promises: TableCache<PromiseRecord>;
  private readonly tasks: TableCache<TaskRecord>;
  /** Ranges read ahead by promisesUnderEach, by parent id; each answers one promisesUnder, until a write lands in it. */
  private readonly children = new Children();
  /** The same cache as the methods below: a transition reading at once sees what the others wrote. */
  readonly syncRows: SyncRows | undefined;

  constructor(private readonly tx: Tx) {
    this.promises = new TableCache((id) => tx.getPromise(id), (ids) => tx.getPromises(ids));
    this.tasks = new TableCache((id) => tx.getTask(id), (ids) => tx.getTasks(ids));
    this.syncRows = tx.syncRows && cachedSyncRows(tx.syncRows, this.promises, this.tasks, this.children);
  }

  async prefetch(promiseIds: readonly string[], taskIds: readonly string[]): Promise<void> {
    // Promises before tasks, as every transition locks them; both reads are sent at once, so a
    // pipelining backend (PostgreSQL) answers them in one round trip.
    await Promise.all([this.promises.fill(promiseIds), this.tasks.fill(taskIds)]);
  }

  expectNew(promiseIds: readonly string[]): void {
    this.tx.expectNew?.(promiseIds);
  }

  getPromise(id: string): Promise<PromiseRecord | undefined> {
    return this.promises.get(id);
  }

  getPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
    return this.promises.getMany(ids);
  }

  insertPromise(promise: PromiseRecord): Promise<void> {
    this.children.wrote(promise.id);
    return this.promises.write(promise, this.tx.insertPromise(promise));
  }

  updatePromise(promise: PromiseRecord): Promise<void> {
    this.children.wrote(promise.id);
    return this.promises.write(promise, this.tx.updatePromise(promise));
  }

  promisesUnder(prefix: string, limit: number, after?: string): Promise<PromiseRecord[]> {
    return (after === undefined && this.children.take(prefix, limit)) || this.tx.promisesUnder(prefix, limit, after);
  }

  async promisesUnderEach(ids: readonly string[], limit: number): Promise<PromiseRecord[][]> {
    const lists = await this.tx.promisesUnderEach(ids, limit);
    ids.forEach((id, n) => this.children.remember(id, limit, lists[n]!));
    return lists;
  }

  getTask(id: string): Promise<TaskRecord | undefined> {
    return this.tasks.get(id);
  }

  getTasks(ids: readonly string[]): Promise<TaskRecord[]> {
    return this.tasks.getMany(ids);
  }

  putTask(task: TaskRecord): Promise<void> {
    return this.tasks.write(task, this.tx.putTask(task));
  }

  async deleteWithPrefix(prefix: string, limit: number): Promise<number> {
    // Which rows went is not known here: forget every cached one under the prefix.
    this.children.forgetAll();
    this.promises.forgetUnder(prefix);
    this.tasks.forgetUnder(prefix);
    return this.tx.deleteWithPrefix(prefix, limit);
  }

  async deletePromise(id: string): Promise<void> {
    this.children.wrote(id);
    this.promises.forget(id);
    this.tasks.forget(id);
    await this.tx.deletePromise(id);
  }
}

/** One table's rows as the transaction read or wrote them (undefined: known to be missing). */
class TableCache<R extends { id: string }> {
  private readonly rows = new Map<string, R | undefined>();

  constructor(
    private readonly readOne: (id: string) => Promise<R | undefined>,
    private readonly readMany: (ids: string[]) => Promise<R[]>,
  ) {}

  has(id: string): boolean {
    return this.rows.has(id);
  }

  /** The cached row (only meaningful where `has`). */
  peek(id: string): R | undefined {
    return this.rows.get(id);
  }

  /** Caches `row` as `id`'s (undefined: missing) and returns it. */
  remember(id: string, row: R | undefined): R | undefined {
    this.rows.set(id, row);
    return row;
  }

  forget(id: string): void {
    this.rows.delete(id);
  }

  forgetUnder(prefix: string): void {
    for (const id of this.rows.keys()) if (id.startsWith(prefix)) this.rows.delete(id);
  }

  async get(id: string): Promise<R | undefined> {
    return this.rows.has(id) ? this.rows.get(id) : this.remember(id, await this.readOne(id));
  }

  /** The rows of the distinct `ids` that exist, in id order, as the Tx answers. */
  async getMany(ids: readonly string[]): Promise<R[]> {
    await this.fill(ids);
    return [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).flatMap((id) => {
      const row = this.rows.get(id);
      return row === undefined ? [] : [row];
    });
  }

  /** Reads the ids not cached yet in one call and caches each, found or not. */
  async fill(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.rows.has(id));
    if (missing.length === 0) return;
    const found = await this.readMany(missing);
    for (const id of missing) this.rows.set(id, undefined);
    for (const row of found) this.rows.set(row.id, row);
  }

  /** `row` once `writing` (its write, already started) has succeeded; a failed write leaves nothing cached. */
  async write(row: R, writing: Promise<void>): Promise<void> {
    this.rows.delete(row.id);
    await writing;
    this.rows.set(row.id, row);
  }
}

/** What promisesUnderEach read: per parent id, how many children were asked for and the first that many. */
class Children {
  private readonly read = new Map<string, { limit: number; rows: PromiseRecord[] }>();

  remember(parent: string, limit: number, rows: PromiseRecord[]): void {
    this.read.set(parent, { limit, rows });
  }

  /** `promisesUnder(parent, limit)` from what was read, once; undefined when not read (or not as many). */
  take(parent: string, limit: number): Promise<PromiseRecord[]> | undefined {
    const read = this.read.get(parent);
    if (read === undefined || limit > read.limit) return undefined;
    this.read.delete(parent);
    return Promise.resolve(read.rows.slice(0, limit));
  }

  /** A write of `id` changes the range of every id it is under: `a.b.c` is under `a` and `a.b`. */
  wrote(id: string): void {
    if (this.read.size === 0) return;
    for (let dot = id.indexOf("."); dot !== -1; dot = id.indexOf(".", dot + 1)) this.read.delete(id.slice(0, dot));
  }

  forgetAll(): void {
    this.read.clear();
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

function cachedSyncRows(rows: SyncRows, promises: TableCache<PromiseRecord>, tasks: TableCache<TaskRecord>, children: Children): SyncRows {
  return {
    getPromise: (id) => (promises.has(id) ? promises.peek(id) : promises.remember(id, rows.getPromise(id))),
    getTask: (id) => (tasks.has(id) ? tasks.peek(id) : tasks.remember(id, rows.getTask(id))),
    insertNewPromise(promise) {
      if (promises.peek(promise.id) !== undefined || !rows.insertNewPromise(promise)) return false;
      children.wrote(promise.id);
      promises.remember(promise.id, promise);
      return true;
    },
  };
}
