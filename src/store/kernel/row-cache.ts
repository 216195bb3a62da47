/**
 * A Tx that remembers the promises and tasks one transition has read or written, so the rules can
 * read the same row several times (a fence reads the task's promise three times) for one query.
 * It lives for one transaction attempt only; the rows it holds are locked by it (PostgreSQL) or
 * by the write lock (SQLite), so nobody else can change them meanwhile.
 */
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";
import type { Tx } from "../backend.js";

export function withRowCache(tx: Tx): Tx {
  const promises = new Map<string, PromiseRecord | undefined>();
  const tasks = new Map<string, TaskRecord | undefined>();
  return Object.assign(Object.create(tx) as Tx, {
    async getPromise(id: string): Promise<PromiseRecord | undefined> {
      if (promises.has(id)) return promises.get(id);
      const promise = await tx.getPromise(id);
      promises.set(id, promise);
      return promise;
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
    async putTask(task: TaskRecord): Promise<void> {
      tasks.delete(task.id);
      await tx.putTask(task);
      tasks.set(task.id, task);
    },
  });
}
