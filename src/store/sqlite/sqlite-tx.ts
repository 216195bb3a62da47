/**
 * The `Tx` of the SQLite backend. better-sqlite3 is synchronous: each method does its work at
 * once; the surrounding transaction (and its savepoint) is the group commit's business.
 */
import { PROMISE_STATES, type PromiseRecord, type PromiseState, type ScheduleRecord, type TaskRecord } from "../../protocol/records.js";
import type Database from "better-sqlite3";
import type { FlowDeclaration } from "../../protocol/records.js";
import type { FinishedRoot, FlowCounts, FlowRow, PromiseQuery, QueuedTask, ScheduleQuery, SyncRows, TaskQuery, Tx } from "../backend.js";
import { SqliteFlowTables } from "./flow-tx.js";
import { boundedRange, literalPrefix, prefixRange } from "../id-range.js";
import { finishedFromRow, promiseColumnValues, type FinishedRow } from "../sql-rows.js";
import { toSqliteGlob } from "./id-patterns.js";
import {
  PROMISE_COLUMNS,
  TASK_COLUMNS,
  promiseFromRow,
  promiseFromValues,
  scheduleFromRow,
  scheduleToRow,
  taskFromRow,
  taskFromValues,
  taskToRow,
  type PromiseRow,
  type ScheduleRow,
  type TaskRow,
} from "./rows.js";
import { LIMIT, type StatementCache } from "./statement-cache.js";
import type { CommittedRows, KeptRows } from "./committed-rows.js";

const SQL = {
  // Reads by id are raw statements (StatementCache.raw): they name their columns.
  getPromise: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE id = ?`,
  // CROSS JOIN keeps json_each outside: one primary-key probe per id, all in one statement.
  getPromises: `SELECT ${prefixed("p", PROMISE_COLUMNS)} FROM json_each(?) AS j CROSS JOIN promises AS p ON p.id = j.value`,
  // The writes bind by position, in PROMISE_COLUMNS order (sql-rows.ts promiseColumnValues; the
  // update moves the id last): better-sqlite3 binds named parameters by looking each one up on an
  // object, 20% of an insert's cost.
  insertPromise: `INSERT INTO promises (${PROMISE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // Only the primary key's conflict is let pass: any other constraint still fails the statement.
  insertNewPromise: `INSERT INTO promises (${PROMISE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  updatePromise: `UPDATE promises SET state = ?, param = ?, value = ?, tags = ?, timeout_at = ?, created_at = ?,
    settled_at = ?, idempotency_key_for_create = ?, idempotency_key_for_complete = ? WHERE id = ?`,
  // INDEXED BY: without statistics the planner prefers the state index and sorts every pending row.
  duePromises: `SELECT * FROM promises INDEXED BY promises_pending_by_timeout WHERE state = 'pending' AND timeout_at <= ?
    ORDER BY timeout_at, id ${LIMIT}`,
  // An execution's history (its preload): raw statements too, as the reads by id.
  promisesInRange: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE id >= ? AND id < ? ORDER BY id ${LIMIT}`,
  promisesAfterInRange: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE id > ? AND id < ? ORDER BY id ${LIMIT}`,
  // The first N children of each id: its range, cut at the Nth child's id (found by a scan of the
  // id index alone; none when fewer: the whole range). Probes inside SQLite, no call per id.
  promisesUnderEach: `SELECT j.key, ${prefixed("p", PROMISE_COLUMNS)} FROM json_each(?) AS j CROSS JOIN promises AS p
    ON p.id >= j.value || '.' AND p.id < j.value || '/' AND p.id <= coalesce(
      (SELECT q.id FROM promises AS q WHERE q.id >= j.value || '.' AND q.id < j.value || '/' ORDER BY q.id LIMIT 1 OFFSET CAST(? AS INTEGER)),
      j.value || '/')
    ORDER BY j.key, p.id`,

  addCallback: "INSERT OR IGNORE INTO callbacks (awaited, awaiter) VALUES (?, ?)",
  callbacksOf: "SELECT awaiter FROM callbacks WHERE awaited = ? ORDER BY seq",
  deleteCallbacks: "DELETE FROM callbacks WHERE awaited = ?",
  deleteCallbacksOf: "DELETE FROM callbacks WHERE awaiter = ?",
  addListener: "INSERT OR IGNORE INTO listeners (awaited, address) VALUES (?, ?)",
  listenersOf: "SELECT address FROM listeners WHERE awaited = ? ORDER BY seq",
  deleteListeners: "DELETE FROM listeners WHERE awaited = ?",

  getTask: `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`,
  getTasks: `SELECT ${prefixed("t", TASK_COLUMNS)} FROM json_each(?) AS j CROSS JOIN tasks AS t ON t.id = j.value`,
  // An upsert, not INSERT OR REPLACE: a replace deletes the row and its index entries and inserts
  // them again; an update in place touches only what changed (4.8 µs instead of 6.8 per task).
  putTask: `INSERT INTO tasks (id, state, version, resumes, ttl, pid, expires_at, releases) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, version = excluded.version, resumes = excluded.resumes,
    ttl = excluded.ttl, pid = excluded.pid, expires_at = excluded.expires_at, releases = excluded.releases`,
  // Every acquired task is read (its pid is not indexed): run once at start and then every few
  // seconds, it costs a fraction of the walk over every acquired task it replaces.
  taskHolders: "SELECT DISTINCT pid FROM tasks INDEXED BY tasks_by_state WHERE state = 'acquired' AND pid > ? ORDER BY pid LIMIT ?",
  dueTasks: `SELECT * FROM tasks INDEXED BY tasks_due_by_expiry WHERE state IN ('pending', 'acquired') AND expires_at <= ?
    ORDER BY expires_at, id ${LIMIT}`,

  getSchedule: "SELECT * FROM schedules WHERE id = ?",
  putSchedule: `INSERT OR REPLACE INTO schedules (id, cron, promise_id, promise_timeout, promise_param, promise_tags,
    created_at, next_run_at, last_run_at) VALUES (@id, @cron, @promise_id, @promise_timeout, @promise_param,
    @promise_tags, @created_at, @next_run_at, @last_run_at)`,
  deleteSchedule: "DELETE FROM schedules WHERE id = ?",
  dueSchedules: `SELECT * FROM schedules WHERE next_run_at <= ? ORDER BY next_run_at, id ${LIMIT}`,

  putFinished: "INSERT OR REPLACE INTO finished_roots (id, settled_at, purge_at) VALUES (?, ?, ?)",
  getFinished: "SELECT * FROM finished_roots WHERE id = ?",
  finishedDue: `SELECT * FROM finished_roots INDEXED BY finished_roots_by_purge_at WHERE purge_at IS NOT NULL AND purge_at <= ?
    ORDER BY purge_at, id ${LIMIT}`,
  finishedBy: `SELECT * FROM finished_roots WHERE settled_at <= ? ORDER BY settled_at, id ${LIMIT}`,
  finishedByAfter: `SELECT * FROM finished_roots WHERE settled_at <= ? AND (settled_at > ? OR (settled_at = ? AND id > ?))
    ORDER BY settled_at, id ${LIMIT}`,
  // The primary-key range; state is stored before the payloads, so their overflow pages are not read.
  pendingInRange: "SELECT 1 FROM promises WHERE id >= ? AND id < ? AND state = 'pending' LIMIT 1",
  idsInRange: `SELECT id FROM promises WHERE id >= ? AND id < ? ORDER BY id ${LIMIT}`,
  deletePromisesIn: "DELETE FROM promises WHERE id IN (SELECT value FROM json_each(?))",
  deleteTasksIn: "DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(?))",
  deleteCallbacksIn: "DELETE FROM callbacks WHERE awaited IN (SELECT value FROM json_each(?)) OR awaiter IN (SELECT value FROM json_each(?))",
  deleteListenersIn: "DELETE FROM listeners WHERE awaited IN (SELECT value FROM json_each(?))",
  deleteFinishedIn: "DELETE FROM finished_roots WHERE id IN (SELECT value FROM json_each(?))",

  // Each arm repeats its due query's predicate so that the same index answers it.
  nextDeadlines: `SELECT
    (SELECT min(timeout_at) FROM promises INDEXED BY promises_pending_by_timeout WHERE state = 'pending') AS promise,
    (SELECT min(expires_at) FROM tasks INDEXED BY tasks_due_by_expiry WHERE state IN ('pending', 'acquired')) AS task,
    (SELECT min(next_run_at) FROM schedules) AS schedule,
    (SELECT min(wake_at) FROM flow_rows WHERE wake_at IS NOT NULL) AS flow`,
} as const;

/** `a, b` → `p.a, p.b` */
function prefixed(table: string, columns: string): string {
  return columns
    .split(", ")
    .map((column) => `${table}.${column}`)
    .join(", ");
}

/** The distinct `ids`: rows kept from earlier transactions, and the ids still to read. */
function splitKept<R>(ids: readonly string[], rows: KeptRows<R>): { kept: R[]; missing: string[] } {
  const kept: R[] = [];
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const row = rows.get(id);
    if (row === undefined) missing.push(id);
    else kept.push(row);
  }
  return { kept, missing };
}

/** Rows in id order, as every batch read of a Tx answers. */
function sortedById<R extends { id: string }>(rows: R[]): R[] {
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Up to this many ids, a batch read probes each id with its prepared statement (no JSON to build or parse). */
const FEW_IDS = 8;

/** The raw rows found for `ids` (the callers put them in id order, with the rows kept). */
function probeEach(statement: Database.Statement, ids: readonly string[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const id of ids) {
    const row = statement.get(id) as unknown[] | undefined;
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

export class SqliteTx implements Tx {
  private readonly flow: SqliteFlowTables;

  constructor(
    private readonly statements: StatementCache,
    /** Rows committed earlier by this connection: point reads are answered from it first. */
    private readonly committed: CommittedRows,
  ) {
    this.flow = new SqliteFlowTables(statements);
  }

  readonly syncRows: SyncRows = {
    getPromise: (id) => this.readById(this.committed.promises, SQL.getPromise, promiseFromValues, id),
    getTask: (id) => this.readById(this.committed.tasks, SQL.getTask, taskFromValues, id),
    insertNewPromise: (promise) => this.writeNewPromise(promise, SQL.insertNewPromise),
  };

  async getPromise(id: string): Promise<PromiseRecord | undefined> {
    return this.syncRows.getPromise(id);
  }

  async getPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
    return this.readByIds(this.committed.promises, SQL.getPromise, SQL.getPromises, promiseFromValues, ids);
  }

  async insertPromise(promise: PromiseRecord): Promise<void> {
    this.writeNewPromise(promise, SQL.insertPromise);
  }

  /** Whether the row was written (`insertNewPromise` lets an existing one stand). */
  private writeNewPromise(promise: PromiseRecord, sql: string): boolean {
    if (this.statements.get(sql).run(...promiseColumnValues(promise)).changes === 0) return false;
    // A promise created settled (a step's result) is read again only by a replay, which reads its
    // execution's range: keeping it would only push running executions' rows out.
    if (promise.state === "pending") this.committed.promises.wrote(promise.id, promise);
    else this.committed.promises.insertedUnkept(promise.id);
    return true;
  }

  async updatePromise(promise: PromiseRecord): Promise<void> {
    const [id, ...columns] = promiseColumnValues(promise);
    const { changes } = this.statements.get(SQL.updatePromise).run(...columns, id);
    if (changes === 0) throw new Error(`updatePromise: no promise ${JSON.stringify(promise.id)}`);
    this.committed.promises.wrote(promise.id, promise);
  }

  async searchPromises(query: PromiseQuery): Promise<PromiseRecord[]> {
    const where = new Where();
    if (query.idPattern !== undefined) where.idMatches(query.idPattern);
    // The state goes into the SQL text (it is one of five known words): a partial index can only
    // serve a literal. Without an id pattern to range over, that index is the one to read.
    if (query.state !== undefined) where.add(`state = '${stateLiteral(query.state)}'`);
    // SQLite uses a partial index only when the query repeats its condition term for term.
    if (query.state !== undefined && STATE_INDEX[query.state] === "promises_failed_by_state") where.add(FAILED_STATES);
    const index = query.state !== undefined && query.idPattern === undefined ? STATE_INDEX[query.state] : undefined;
    for (const [key, value] of Object.entries(query.tags ?? {})) {
      where.add("EXISTS (SELECT 1 FROM json_each(promises.tags) WHERE key = ? AND value = ?)", key, value);
    }
    if (query.after !== undefined) where.add("id > ?", query.after);
    const sql = `SELECT * FROM promises ${index ? `INDEXED BY ${index} ` : ""}${where.sql()} ORDER BY id ${LIMIT}`;
    const rows = this.statements.get(sql).all(...where.params, query.limit) as PromiseRow[];
    return rows.map(promiseFromRow);
  }

  async duePromises(now: number, limit: number): Promise<PromiseRecord[]> {
    return (this.statements.get(SQL.duePromises).all(now, limit) as PromiseRow[]).map(promiseFromRow);
  }

  async promisesUnder(id: string, limit: number, after?: string): Promise<PromiseRecord[]> {
    // A prefix ending in "." always has an upper bound ("/" follows ".").
    const { lower, upper } = prefixRange(`${id}.`);
    const rows =
      after !== undefined && after >= lower
        ? this.statements.raw(SQL.promisesAfterInRange).all(after, upper, limit)
        : this.statements.raw(SQL.promisesInRange).all(lower, upper, limit);
    return (rows as unknown[][]).map(promiseFromValues);
  }

  async promisesUnderEach(ids: readonly string[], limit: number): Promise<PromiseRecord[][]> {
    const lists = ids.map((): PromiseRecord[] => []);
    if (ids.length === 0 || limit < 1) return lists;
    // `${id}.`'s range ends before `${id}/` ("/" follows "."), as promisesUnder's prefixRange says.
    const rows = this.statements.raw(SQL.promisesUnderEach).all(JSON.stringify(ids), limit - 1) as unknown[][];
    for (const [index, ...values] of rows) lists[index as number]!.push(promiseFromValues(values));
    return lists;
  }

  async addCallback(awaited: string, awaiter: string): Promise<void> {
    this.statements.get(SQL.addCallback).run(awaited, awaiter);
  }

  async takeCallbacks(awaited: string): Promise<string[]> {
    const rows = this.statements.get(SQL.callbacksOf).all(awaited) as { awaiter: string }[];
    if (rows.length > 0) this.statements.get(SQL.deleteCallbacks).run(awaited);
    return rows.map((row) => row.awaiter);
  }

  async deleteCallbacksOf(awaiter: string): Promise<void> {
    this.statements.get(SQL.deleteCallbacksOf).run(awaiter);
  }

  async addListener(awaited: string, address: string): Promise<void> {
    this.statements.get(SQL.addListener).run(awaited, address);
  }

  async takeListeners(awaited: string): Promise<string[]> {
    const rows = this.statements.get(SQL.listenersOf).all(awaited) as { address: string }[];
    if (rows.length > 0) this.statements.get(SQL.deleteListeners).run(awaited);
    return rows.map((row) => row.address);
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    return this.syncRows.getTask(id);
  }

  async getTasks(ids: readonly string[]): Promise<TaskRecord[]> {
    return this.readByIds(this.committed.tasks, SQL.getTask, SQL.getTasks, taskFromValues, ids);
  }

  async putTask(task: TaskRecord): Promise<void> {
    const row = taskToRow(task);
    this.statements.get(SQL.putTask).run(row.id, row.state, row.version, row.resumes, row.ttl, row.pid, row.expires_at, row.releases);
    this.committed.tasks.wrote(task.id, task);
  }

  async searchTasks(query: TaskQuery): Promise<TaskRecord[]> {
    const where = new Where();
    if (query.state !== undefined) where.add("state = ?", query.state);
    if (query.pid !== undefined) where.add("pid = ?", query.pid);
    if (query.after !== undefined) where.add("id > ?", query.after);
    const sql = `SELECT * FROM tasks ${where.sql()} ORDER BY id ${LIMIT}`;
    const tasks = (this.statements.get(sql).all(...where.params, query.limit) as TaskRow[]).map(taskFromRow);
    // Kept as any read by id: a search is how a restart finds the tasks it then acquires (a page
    // at a time, each acquire reading its task again).
    for (const task of tasks) this.committed.tasks.read(task.id, task);
    return tasks;
  }

  async taskHolders(limit: number, after?: string): Promise<string[]> {
    // Every pid is a valid id, so never empty: "" is before them all.
    return this.statements.get(SQL.taskHolders).pluck().all(after ?? "", limit) as string[];
  }

  async dueTasks(now: number, limit: number): Promise<TaskRecord[]> {
    return (this.statements.get(SQL.dueTasks).all(now, limit) as TaskRow[]).map(taskFromRow);
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    const row = this.statements.get(SQL.getSchedule).get(id) as ScheduleRow | undefined;
    return row && scheduleFromRow(row);
  }

  async putSchedule(schedule: ScheduleRecord): Promise<void> {
    this.statements.get(SQL.putSchedule).run(scheduleToRow(schedule));
  }

  async deleteSchedule(id: string): Promise<void> {
    this.statements.get(SQL.deleteSchedule).run(id);
  }

  async searchSchedules(query: ScheduleQuery): Promise<ScheduleRecord[]> {
    const where = new Where();
    for (const [key, value] of Object.entries(query.tags ?? {})) {
      where.add("EXISTS (SELECT 1 FROM json_each(schedules.promise_tags) WHERE key = ? AND value = ?)", key, value);
    }
    if (query.after !== undefined) where.add("id > ?", query.after);
    const sql = `SELECT * FROM schedules ${where.sql()} ORDER BY id ${LIMIT}`;
    return (this.statements.get(sql).all(...where.params, query.limit) as ScheduleRow[]).map(scheduleFromRow);
  }

  async dueSchedules(now: number, limit: number): Promise<ScheduleRecord[]> {
    return (this.statements.get(SQL.dueSchedules).all(now, limit) as ScheduleRow[]).map(scheduleFromRow);
  }

  async nextDeadline(): Promise<number | undefined> {
    const row = this.statements.get(SQL.nextDeadlines).get() as Record<"promise" | "task" | "schedule" | "flow", number | null>;
    const deadlines = [row.promise, row.task, row.schedule, row.flow].filter((at): at is number => at !== null);
    return deadlines.length === 0 ? undefined : Math.min(...deadlines);
  }

  // Flow control (kernel/flow.ts): its tables are flow-tx.ts's.
  async getFlowLimits(): Promise<FlowDeclaration[]> {
    return this.flow.getFlowLimits();
  }
  async getFlowLimit(group: string, func: string): Promise<FlowDeclaration | undefined> {
    return this.flow.getFlowLimit(group, func);
  }
  async putFlowLimit(declaration: FlowDeclaration): Promise<void> {
    this.flow.putFlowLimit(declaration);
  }
  async deleteFlowLimit(group: string, func: string): Promise<void> {
    this.flow.deleteFlowLimit(group, func);
  }
  async lockFlowRow(group: string, func: string, key: string): Promise<FlowRow> {
    return this.flow.lockFlowRow(group, func, key);
  }
  async putFlowRow(row: FlowRow): Promise<void> {
    this.flow.putFlowRow(row);
  }
  async deleteFlowRow(id: string): Promise<void> {
    this.flow.deleteFlowRow(id);
  }
  async dueFlowRows(now: number, limit: number): Promise<FlowRow[]> {
    return this.flow.dueFlowRows(now, limit);
  }
  async queueTask(entry: QueuedTask): Promise<void> {
    this.flow.queueTask(entry);
  }
  async unqueueTask(taskId: string): Promise<boolean> {
    return this.flow.unqueueTask(taskId);
  }
  async queuedAhead(flowId: string, entry: Pick<QueuedTask, "taskId" | "priority" | "createdAt">, limit: number): Promise<number> {
    return this.flow.queuedAhead(flowId, entry, limit);
  }
  async queueHeads(flowId: string, limit: number): Promise<QueuedTask[]> {
    return this.flow.queueHeads(flowId, limit);
  }
  async flowCounts(limit: number): Promise<FlowCounts[]> {
    return this.flow.flowCounts(limit);
  }

  async putFinished(root: FinishedRoot): Promise<void> {
    this.statements.get(SQL.putFinished).run(root.id, root.settledAt, root.purgeAt ?? null);
  }

  async getFinished(id: string): Promise<FinishedRoot | undefined> {
    const row = this.statements.get(SQL.getFinished).get(id) as FinishedRow | undefined;
    return row && finishedFromRow(row);
  }

  async finishedDue(now: number, limit: number): Promise<FinishedRoot[]> {
    return (this.statements.get(SQL.finishedDue).all(now, limit) as FinishedRow[]).map(finishedFromRow);
  }

  async finishedBy(settledBy: number, limit: number, after?: Pick<FinishedRoot, "id" | "settledAt">): Promise<FinishedRoot[]> {
    const rows =
      after === undefined
        ? this.statements.get(SQL.finishedBy).all(settledBy, limit)
        : this.statements.get(SQL.finishedByAfter).all(settledBy, after.settledAt, after.settledAt, after.id, limit);
    return (rows as FinishedRow[]).map(finishedFromRow);
  }

  async hasPendingWithPrefix(prefix: string): Promise<boolean> {
    const { lower, upper } = boundedRange(prefix);
    return this.statements.get(SQL.pendingInRange).get(lower, upper) !== undefined;
  }

  async deleteWithPrefix(prefix: string, limit: number): Promise<number> {
    const { lower, upper } = boundedRange(prefix);
    const ids = (this.statements.get(SQL.idsInRange).all(lower, upper, limit) as { id: string }[]).map((row) => row.id);
    if (ids.length > 0) this.deleteIds(ids);
    return ids.length;
  }

  async deletePromise(id: string): Promise<void> {
    this.deleteIds([id]);
  }

  /** A row by id: kept from an earlier transaction, or read (and kept). */
  private readById<R>(kept: KeptRows<R>, oneSql: string, fromValues: (values: unknown[]) => R, id: string): R | undefined {
    const hit = kept.get(id);
    if (hit !== undefined) return hit;
    const values = this.statements.raw(oneSql).get(id) as unknown[] | undefined;
    const row = values && fromValues(values);
    kept.read(id, row);
    return row;
  }

  /**
   * Rows by id, in id order. One statement for all ids not kept from earlier transactions: the
   * probes run inside SQLite, without a call per id. A handful of ids (a lone workflow's step) is
   * cheaper probed one by one than through json_each.
   */
  private readByIds<R extends { id: string }>(kept: KeptRows<R>, oneSql: string, manySql: string, fromValues: (values: unknown[]) => R, ids: readonly string[]): R[] {
    const { kept: rows, missing } = splitKept(ids, kept);
    const found = missing.length <= FEW_IDS ? probeEach(this.statements.raw(oneSql), missing) : (this.statements.raw(manySql).all(JSON.stringify(missing)) as unknown[][]);
    for (const values of found) {
      const row = fromValues(values);
      kept.read(row.id, row);
      rows.push(row);
    }
    return sortedById(rows);
  }

  /** Everything stored about the promises `ids`. */
  private deleteIds(list: readonly string[]): void {
    for (const id of list) {
      this.committed.promises.wrote(id, undefined);
      this.committed.tasks.wrote(id, undefined);
    }
    const ids = JSON.stringify(list);
    this.statements.get(SQL.deletePromisesIn).run(ids);
    this.statements.get(SQL.deleteTasksIn).run(ids);
    this.statements.get(SQL.deleteCallbacksIn).run(ids, ids);
    this.statements.get(SQL.deleteListenersIn).run(ids);
    this.statements.get(SQL.deleteFinishedIn).run(ids);
  }
}

/** WHERE conditions and their parameters, for the searches. */
class Where {
  readonly params: unknown[] = [];
  private readonly conditions: string[] = [];

  add(condition: string, ...params: unknown[]): void {
    this.conditions.push(condition);
    this.params.push(...params);
  }

  /** Ids matching `pattern` (`*` matches any run): the literal prefix as a range on the primary key, GLOB for the rest. */
  idMatches(pattern: string): void {
    if (!pattern.includes("*")) {
      this.add("id = ?", pattern);
      return;
    }
    const prefix = literalPrefix(pattern);
    const { lower, upper } = prefixRange(prefix);
    if (lower !== "") this.add("id >= ?", lower);
    if (upper !== undefined) this.add("id < ?", upper);
    if (pattern !== `${prefix}*`) this.add("id GLOB ?", toSqliteGlob(pattern));
  }

  sql(): string {
    return this.conditions.length === 0 ? "" : `WHERE ${this.conditions.join(" AND ")}`;
  }
}

const FAILED_STATES = "state IN ('rejected', 'rejected_canceled', 'rejected_timedout')";

/** The partial index holding each state; resolved promises are most of the table, read by id. */
const STATE_INDEX: Record<PromiseState, string | undefined> = {
  pending: "promises_pending_by_timeout",
  resolved: undefined,
  rejected: "promises_failed_by_state",
  rejected_canceled: "promises_failed_by_state",
  rejected_timedout: "promises_failed_by_state",
};

function stateLiteral(state: string): string {
  if (!(PROMISE_STATES as readonly string[]).includes(state)) throw new Error(`state: expected one of ${PROMISE_STATES.join(", ")}, got ${JSON.stringify(state)}`);
  return state;
}
