/**
 * The `Tx` of the memory backend. Records are copied in and out, so nothing outside a
 * transaction can change a stored record by holding on to an object.
 */
import type { FlowDeclaration, PromiseRecord, ScheduleRecord, TaskRecord } from "../../protocol/records.js";
import type { FinishedRoot, FlowCounts, FlowRow, PromiseQuery, QueuedTask, ScheduleQuery, TaskQuery, Tx } from "../backend.js";
import { functionKey } from "../kernel/declared-limits.js";
import { flowRowId } from "../kernel/flow.js";
import { queueOrder } from "../kernel/queue-order.js";
import { globToRegExp, literalPrefix } from "./glob.js";
import type { MemoryTables } from "./tables.js";
import type { Table } from "./table.js";

export class MemoryTx implements Tx {
  constructor(private readonly t: MemoryTables) {}

  async getPromise(id: string): Promise<PromiseRecord | undefined> {
    return copy(this.t.promises.get(id));
  }

  async getPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
    return present(ids, (id) => this.t.promises.get(id)).map(copy);
  }

  async insertPromise(promise: PromiseRecord): Promise<void> {
    if (this.t.promises.has(promise.id)) throw new Error(`insertPromise: promise ${JSON.stringify(promise.id)} exists`);
    this.t.promises.set(promise.id, copy(promise));
  }

  async updatePromise(promise: PromiseRecord): Promise<void> {
    if (!this.t.promises.has(promise.id)) throw new Error(`updatePromise: no promise ${JSON.stringify(promise.id)}`);
    this.t.promises.set(promise.id, copy(promise));
  }

  async searchPromises(query: PromiseQuery): Promise<PromiseRecord[]> {
    const pattern = query.idPattern === undefined ? undefined : globToRegExp(query.idPattern);
    const prefix = query.idPattern === undefined ? "" : literalPrefix(query.idPattern);
    return take(this.t.promises.ordered(query.after, prefix), query.limit, (p) =>
      (pattern === undefined || pattern.test(p.id)) &&
      (query.state === undefined || p.state === query.state) &&
      hasTags(p.tags, query.tags),
    );
  }

  async duePromises(now: number, limit: number): Promise<PromiseRecord[]> {
    const due = [...this.t.promises.values()].filter((p) => p.state === "pending" && p.timeoutAt <= now);
    return due.sort((a, b) => a.timeoutAt - b.timeoutAt || compare(a.id, b.id)).slice(0, limit).map(copy);
  }

  async promisesUnder(id: string, limit: number, after?: string): Promise<PromiseRecord[]> {
    return take(this.t.promises.ordered(after, `${id}.`), limit, () => true);
  }

  async promisesUnderEach(ids: readonly string[], limit: number): Promise<PromiseRecord[][]> {
    return Promise.all(ids.map((id) => this.promisesUnder(id, limit)));
  }

  async addCallback(awaited: string, awaiter: string): Promise<void> {
    append(this.t.callbacks, awaited, awaiter);
    append(this.t.callbacksByAwaiter, awaiter, awaited);
  }

  async takeCallbacks(awaited: string): Promise<string[]> {
    const awaiters = this.t.callbacks.get(awaited) ?? [];
    this.t.callbacks.delete(awaited);
    for (const awaiter of awaiters) without(this.t.callbacksByAwaiter, awaiter, awaited);
    return [...awaiters];
  }

  async deleteCallbacksOf(awaiter: string): Promise<void> {
    for (const awaited of this.t.callbacksByAwaiter.get(awaiter) ?? []) without(this.t.callbacks, awaited, awaiter);
    this.t.callbacksByAwaiter.delete(awaiter);
  }

  async addListener(awaited: string, address: string): Promise<void> {
    append(this.t.listeners, awaited, address);
  }

  async takeListeners(awaited: string): Promise<string[]> {
    const addresses = this.t.listeners.get(awaited) ?? [];
    this.t.listeners.delete(awaited);
    return [...addresses];
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    return copy(this.t.tasks.get(id));
  }

  async getTasks(ids: readonly string[]): Promise<TaskRecord[]> {
    return present(ids, (id) => this.t.tasks.get(id)).map(copy);
  }

  async putTask(task: TaskRecord): Promise<void> {
    this.t.tasks.set(task.id, copy(task));
  }

  async searchTasks(query: TaskQuery): Promise<TaskRecord[]> {
    return take(
      this.t.tasks.ordered(query.after),
      query.limit,
      (t) => (query.state === undefined || t.state === query.state) && (query.pid === undefined || t.pid === query.pid),
    );
  }

  async taskHolders(limit: number, after?: string): Promise<string[]> {
    const holders = new Set<string>();
    for (const task of this.t.tasks.values()) if (task.state === "acquired" && task.pid !== undefined && (after === undefined || task.pid > after)) holders.add(task.pid);
    return [...holders].sort(compare).slice(0, limit);
  }

  async dueTasks(now: number, limit: number): Promise<TaskRecord[]> {
    const due = [...this.t.tasks.values()].filter(
      (t) => (t.state === "pending" || t.state === "acquired") && t.expiresAt !== undefined && t.expiresAt <= now,
    );
    return due.sort((a, b) => a.expiresAt! - b.expiresAt! || compare(a.id, b.id)).slice(0, limit).map(copy);
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    return copy(this.t.schedules.get(id));
  }

  async putSchedule(schedule: ScheduleRecord): Promise<void> {
    this.t.schedules.set(schedule.id, copy(schedule));
  }

  async deleteSchedule(id: string): Promise<void> {
    this.t.schedules.delete(id);
  }

  async searchSchedules(query: ScheduleQuery): Promise<ScheduleRecord[]> {
    return take(this.t.schedules.ordered(query.after), query.limit, (s) => hasTags(s.promiseTags, query.tags));
  }

  async dueSchedules(now: number, limit: number): Promise<ScheduleRecord[]> {
    const due = [...this.t.schedules.values()].filter((s) => s.nextRunAt <= now);
    return due.sort((a, b) => a.nextRunAt - b.nextRunAt || compare(a.id, b.id)).slice(0, limit).map(copy);
  }

  async getFlowLimits(): Promise<FlowDeclaration[]> {
    return [...this.t.flowLimits.ordered(undefined)].map(copy);
  }

  async getFlowLimit(group: string, func: string): Promise<FlowDeclaration | undefined> {
    return copy(this.t.flowLimits.get(functionKey(group, func)));
  }

  async putFlowLimit(declaration: FlowDeclaration): Promise<void> {
    this.t.flowLimits.set(functionKey(declaration.group, declaration.func), copy(declaration));
  }

  async deleteFlowLimit(group: string, func: string): Promise<void> {
    this.t.flowLimits.delete(functionKey(group, func));
  }

  async lockFlowRow(group: string, func: string, key: string): Promise<FlowRow> {
    const id = flowRowId(group, func, key);
    return copy(this.t.flowRows.get(id)) ?? { id, group, func, key, running: 0, starts: [] };
  }

  async putFlowRow(row: FlowRow): Promise<void> {
    this.t.flowRows.set(row.id, copy(row));
  }

  async deleteFlowRow(id: string): Promise<void> {
    this.t.flowRows.delete(id);
  }

  async dueFlowRows(now: number, limit: number): Promise<FlowRow[]> {
    const due = [...this.t.flowRows.values()].filter((r) => r.wakeAt !== undefined && r.wakeAt <= now);
    return due.sort((a, b) => a.wakeAt! - b.wakeAt! || compare(a.id, b.id)).slice(0, limit).map(copy);
  }

  async queueTask(entry: QueuedTask): Promise<void> {
    const seq = this.t.flowQueue.get(entry.taskId)?.seq ?? this.t.nextQueueSeq++;
    this.t.flowQueue.set(entry.taskId, copy({ ...entry, seq }));
  }

  async unqueueTask(taskId: string): Promise<boolean> {
    if (!this.t.flowQueue.has(taskId)) return false;
    this.t.flowQueue.delete(taskId);
    return true;
  }

  async queuedAhead(flowId: string, entry: Pick<QueuedTask, "taskId" | "priority" | "createdAt">, limit: number): Promise<number> {
    const own = { ...entry, seq: this.t.flowQueue.get(entry.taskId)?.seq ?? Number.POSITIVE_INFINITY };
    let ahead = 0;
    for (const queued of this.t.flowQueue.values()) {
      if (queued.flowId !== flowId || queued.taskId === entry.taskId || queueOrder(queued, own) >= 0) continue;
      if (++ahead >= limit) break;
    }
    return ahead;
  }

  async queueHeads(flowId: string, limit: number): Promise<QueuedTask[]> {
    const queued = [...this.t.flowQueue.values()].filter((q) => q.flowId === flowId);
    return queued.sort(queueOrder).slice(0, limit).map(copy);
  }

  async flowCounts(limit: number): Promise<FlowCounts[]> {
    const counts = new Map<string, FlowCounts>();
    const of = (group: string, func: string) => {
      const key = functionKey(group, func);
      let found = counts.get(key);
      if (!found) counts.set(key, (found = { group, func, running: 0, queued: 0, keys: 0 }));
      return found;
    };
    for (const row of this.t.flowRows.values()) {
      const count = of(row.group, row.func);
      count.running += row.running;
      count.keys += 1;
    }
    for (const queued of this.t.flowQueue.values()) of(queued.group, queued.func).queued += 1;
    return [...counts.values()].sort((a, b) => compare(a.group, b.group) || compare(a.func, b.func)).slice(0, limit);
  }

  async nextDeadline(): Promise<number | undefined> {
    let earliest: number | undefined;
    const consider = (at: number | undefined) => {
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    };
    for (const p of this.t.promises.values()) if (p.state === "pending") consider(p.timeoutAt);
    for (const t of this.t.tasks.values()) if (t.state === "pending" || t.state === "acquired") consider(t.expiresAt);
    for (const s of this.t.schedules.values()) consider(s.nextRunAt);
    for (const r of this.t.flowRows.values()) consider(r.wakeAt);
    return earliest;
  }

  async putFinished(root: FinishedRoot): Promise<void> {
    this.t.finished.set(root.id, copy(root));
  }

  async getFinished(id: string): Promise<FinishedRoot | undefined> {
    return copy(this.t.finished.get(id));
  }

  async finishedDue(now: number, limit: number): Promise<FinishedRoot[]> {
    const due = [...this.t.finished.values()].filter((f) => f.purgeAt !== undefined && f.purgeAt <= now);
    return due.sort((a, b) => a.purgeAt! - b.purgeAt! || compare(a.id, b.id)).slice(0, limit).map(copy);
  }

  async finishedBy(settledBy: number, limit: number, after?: Pick<FinishedRoot, "id" | "settledAt">): Promise<FinishedRoot[]> {
    const past = (f: FinishedRoot) => after === undefined || f.settledAt > after.settledAt || (f.settledAt === after.settledAt && f.id > after.id);
    const found = [...this.t.finished.values()].filter((f) => f.settledAt <= settledBy && past(f));
    return found.sort((a, b) => a.settledAt - b.settledAt || compare(a.id, b.id)).slice(0, limit).map(copy);
  }

  async hasPendingWithPrefix(prefix: string): Promise<boolean> {
    for (const promise of this.t.promises.ordered(undefined, prefix)) if (promise.state === "pending") return true;
    return false;
  }

  async deleteWithPrefix(prefix: string, limit: number): Promise<number> {
    const ids: string[] = [];
    for (const promise of this.t.promises.ordered(undefined, prefix)) {
      if (ids.length >= limit) break;
      ids.push(promise.id);
    }
    for (const id of ids) await this.deletePromise(id);
    return ids.length;
  }

  async deletePromise(id: string): Promise<void> {
    this.t.promises.delete(id);
    this.t.tasks.delete(id);
    this.t.finished.delete(id);
    await this.takeCallbacks(id);
    await this.deleteCallbacksOf(id);
    this.t.listeners.delete(id);
  }
}

/** A deep copy as the record would travel: plain JSON, undefined fields dropped. */
function copy<T>(record: T): T {
  return record === undefined ? record : (JSON.parse(JSON.stringify(record)) as T);
}

/** The rows of the distinct `ids` that exist, in id order. */
function present<T>(ids: readonly string[], get: (id: string) => T | undefined): T[] {
  return [...new Set(ids)].sort(compare).flatMap((id) => {
    const row = get(id);
    return row === undefined ? [] : [row];
  });
}

function take<T>(rows: Iterable<T>, limit: number, keep: (row: T) => boolean): T[] {
  const found: T[] = [];
  if (limit <= 0) return found;
  for (const row of rows) {
    if (!keep(row)) continue;
    found.push(copy(row));
    if (found.length >= limit) break;
  }
  return found;
}

function hasTags(tags: Record<string, string>, wanted: Record<string, string> | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([key, value]) => tags[key] === value);
}

function append(table: Table<readonly string[]>, key: string, item: string): void {
  const items = table.get(key) ?? [];
  if (!items.includes(item)) table.set(key, [...items, item]);
}

function without(table: Table<readonly string[]>, key: string, item: string): void {
  const items = (table.get(key) ?? []).filter((i) => i !== item);
  if (items.length === 0) table.delete(key);
  else table.set(key, items);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
