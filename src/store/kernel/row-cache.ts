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
  const promises = new Map<string, PromiseRecord | undefined>();
  const tasks = new Map<string, TaskRecord | undefined>();
  return Object.assign(Object.create(tx) as Tx, {
    // The same cache as the methods below: a transition reading at once sees what the others wrote.
    syncRows: tx.syncRows && cachedSyncRows(tx.syncRows, promises, tasks),
    async prefetch(promiseIds: readonly string[], taskIds: readonly string[]): Promise<void> {
      // Promises before tasks, as every transition locks them; both reads are sent at once, so a
      // pipelining backend (PostgreSQL) answers them in one round trip.
      await Promise.all([fill(promises, promiseIds, (ids) => tx.getPromises(ids)), fill(tasks, taskIds, (ids) => tx.getTasks(ids))]);
    },
    async getPromise(id: string): Promise<PromiseRecord | undefined> {
      if (promises.has(id)) return promises.get(id);
      const promise = await tx.getPromise(id);
      promises.set(id, promise);
      return promise;
    },
    async getPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
      await fill(promises, ids, (missing) => tx.getPromises(missing));
      return present(promises, ids);
    },
    async insertPromise(promise: PromiseRecord): Promise<void> {
      promises.delete(promise.id);
      await tx.insertPromise(promise);
      promises.set(promise.id, promise);
    },
    async updatePromise(promise: PromiseRecord): Promise<void> {
      promises.delete(promise.id);
      await tx.updatePromise(promise);
      promises.set(promise.id, promise);
    },
    async getTask(id: string): Promise<TaskRecord | undefined> {
      if (tasks.has(id)) return tasks.get(id);
      const task = await tx.getTask(id);
      tasks.set(id, task);
      return task;
    },
    async getTasks(ids: readonly string[]): Promise<TaskRecord[]> {
      await fill(tasks, ids, (missing) => tx.getTasks(missing));
      return present(tasks, ids);
    },
    async putTask(task: TaskRecord): Promise<void> {
      tasks.delete(task.id);
      await tx.putTask(task);
      tasks.set(task.id, task);
    },
    async deleteWithPrefix(prefix: string, limit: number): Promise<number> {
      // Which rows went is not known here: forget every cached one under the prefix.
      for (const cache of [promises, tasks]) for (const id of cache.keys()) if (id.startsWith(prefix)) cache.delete(id);
      return tx.deleteWithPrefix(prefix, limit);
    },
    async deletePromise(id: string): Promise<void> {
      promises.delete(id);
      tasks.delete(id);
      await tx.deletePromise(id);
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
