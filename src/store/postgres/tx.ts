/**
 * One PostgreSQL transaction seen through the `Tx` interface. READ COMMITTED plus row locks:
 * reads by id lock the rows (`FOR UPDATE`, in id order when several) so read-modify-writes of one
 * record serialize, and due-work queries skip rows another replica has locked, so concurrent ticks
 * take disjoint work. Writes of promises and tasks are buffered (write-behind.ts) and sent as one
 * statement before anything scans those tables and before COMMIT (`flush`).
 */
import type { PoolClient, QueryResultRow } from "pg";
import type { FlowDeclaration, PromiseRecord, ScheduleRecord, TaskRecord } from "../../protocol/records.js";
import type { FinishedRoot, FlowCounts, FlowRow, PromiseQuery, QueuedTask, ScheduleQuery, TaskQuery, Tx } from "../backend.js";
import { PostgresFlowTables } from "./flow-tx.js";
import { ID_CONFLICT, ORDERED_ID } from "./migrations.js";
import { boundedRange, literalPrefix, prefixRange } from "../id-range.js";
import { finishedFromRow, type FinishedRow } from "../sql-rows.js";
import { globToLike } from "./patterns.js";
import { ConcurrentInsertError } from "./retry.js";
import { Waiters } from "./waiters.js";
import { WriteBehind } from "./write-behind.js";
import type { ReadRows, Revised, SeenRows } from "./known-rows.js";
import {
  PROMISE_COLUMNS,
  promiseFromRow,
  SCHEDULE_COLUMNS,
  scheduleFromRow,
  scheduleParams,
  TASK_COLUMNS,
  taskFromRow,
  type PromiseRow,
  type ScheduleRow,
  type TaskRow,
} from "./rows.js";

/** Ids in search order: the indexed prefix first (ORDERED_ID), then the id for ties; the same order as by id. */
const ID_ORDER = `${ORDERED_ID}, id`;
/** `id >= bound` implies this, which the prefix btree can answer. */
const atLeast = (bound: string) => `${ORDERED_ID} >= left(${bound}, 512)`;
/** `id < bound` implies this. */
const below = (bound: string) => `${ORDERED_ID} <= left(${bound}, 512)`;

/** Fixed statements, prepared once per connection (the name is the cache key). */
const SQL = {
  // Reads by id also say which version of the row they found (its `xmin`: known-rows.ts).
  getPromise: `SELECT ${PROMISE_COLUMNS}, xmin::text AS rev FROM promises WHERE id = $1 FOR UPDATE`,
  // Locks in id order, so that two batches naming the same rows cannot deadlock.
  getPromises: `SELECT ${PROMISE_COLUMNS}, xmin::text AS rev FROM promises WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
  duePromises: `SELECT ${PROMISE_COLUMNS}, xmin::text AS rev FROM promises WHERE state = 'pending' AND timeout_at <= $1
    ORDER BY timeout_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
  // Ranges bound the indexed prefix (ORDERED_ID, migration 4) and compare the id for the exact answer.
  promisesInRange: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE ${atLeast("$1")} AND ${below("$2")} AND id >= $1 AND id < $2
    ORDER BY ${ID_ORDER} LIMIT $3`,
  promisesFrom: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE ${atLeast("$1")} AND id >= $1 ORDER BY ${ID_ORDER} LIMIT $2`,
  promisesAfterInRange: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE ${atLeast("$1")} AND ${below("$2")} AND id > $1 AND id < $2
    ORDER BY ${ID_ORDER} LIMIT $3`,
  promisesAfter: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE ${atLeast("$1")} AND id > $1 ORDER BY ${ID_ORDER} LIMIT $2`,

  takeCallbacks: `WITH taken AS (DELETE FROM callbacks WHERE awaited = $1 RETURNING awaiter, seq)
    SELECT awaiter FROM taken ORDER BY seq`,
  deleteCallbacksOf: "DELETE FROM callbacks WHERE awaiter = $1",
  takeListeners: `WITH taken AS (DELETE FROM listeners WHERE awaited = $1 RETURNING address, seq)
    SELECT address FROM taken ORDER BY seq`,

  getTask: `SELECT ${TASK_COLUMNS}, xmin::text AS rev FROM tasks WHERE id = $1 FOR UPDATE`,
  getTasks: `SELECT ${TASK_COLUMNS}, xmin::text AS rev FROM tasks WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
  // Byte order, as ids are ordered ("C"), whatever the database's collation.
  taskHolders: `SELECT DISTINCT pid COLLATE "C" AS pid FROM tasks WHERE state = 'acquired' AND pid COLLATE "C" > $1 ORDER BY 1 LIMIT $2`,
  dueTasks: `SELECT ${TASK_COLUMNS} FROM tasks WHERE state IN ('pending', 'acquired') AND expires_at <= $1
    ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,

  getSchedule: `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 FOR UPDATE`,
  insertSchedule: `INSERT INTO schedules (${SCHEDULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT ${ID_CONFLICT} DO NOTHING`,
  upsertSchedule: `INSERT INTO schedules (${SCHEDULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT ${ID_CONFLICT} DO UPDATE SET cron = EXCLUDED.cron, promise_id = EXCLUDED.promise_id,
      promise_timeout = EXCLUDED.promise_timeout, promise_param = EXCLUDED.promise_param,
      promise_tags = EXCLUDED.promise_tags, created_at = EXCLUDED.created_at, next_run_at = EXCLUDED.next_run_at,
      last_run_at = EXCLUDED.last_run_at`,
  deleteSchedule: "DELETE FROM schedules WHERE id = $1",
  dueSchedules: `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE next_run_at <= $1
    ORDER BY next_run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,

  getFinished: "SELECT id, settled_at, purge_at FROM finished_roots WHERE id = $1",
  // SKIP LOCKED: replicas purging at once take disjoint roots instead of queueing on the same ones.
  finishedDue: `SELECT id, settled_at, purge_at FROM finished_roots WHERE purge_at IS NOT NULL AND purge_at <= $1
    ORDER BY purge_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
  finishedBy: `SELECT id, settled_at, purge_at FROM finished_roots WHERE settled_at <= $1
    ORDER BY settled_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
  finishedByAfter: `SELECT id, settled_at, purge_at FROM finished_roots WHERE settled_at <= $1 AND (settled_at, id) > ($2, $3)
    ORDER BY settled_at, id LIMIT $4 FOR UPDATE SKIP LOCKED`,
  // Served by promises_state (state, ORDERED_ID): a range of pending ids, without reading the settled ones.
  pendingInRange: `SELECT 1 FROM promises WHERE state = 'pending' AND ${atLeast("$1")} AND ${below("$2")} AND id >= $1 AND id < $2 LIMIT 1`,
  // Rows are locked in id order (as every batch locks them) before they go, then everything keyed
  // by their ids goes with them.
  deleteInRange: `WITH doomed AS (
      SELECT id FROM promises WHERE ${atLeast("$1")} AND ${below("$2")} AND id >= $1 AND id < $2 ORDER BY ${ID_ORDER} LIMIT $3 FOR UPDATE),
    gone AS (DELETE FROM promises AS p USING doomed WHERE p.id = doomed.id RETURNING p.id),
    gone_tasks AS (DELETE FROM tasks WHERE id IN (SELECT id FROM gone)),
    gone_callbacks AS (DELETE FROM callbacks WHERE awaited IN (SELECT id FROM gone) OR awaiter IN (SELECT id FROM gone)),
    gone_listeners AS (DELETE FROM listeners WHERE awaited IN (SELECT id FROM gone)),
    gone_finished AS (DELETE FROM finished_roots WHERE id IN (SELECT id FROM gone))
    SELECT count(*)::integer AS deleted FROM gone`,
  deletePromise: `WITH gone AS (DELETE FROM promises WHERE id = $1),
    gone_tasks AS (DELETE FROM tasks WHERE id = $1),
    gone_callbacks AS (DELETE FROM callbacks WHERE awaited = $1 OR awaiter = $1),
    gone_listeners AS (DELETE FROM listeners WHERE awaited = $1)
    DELETE FROM finished_roots WHERE id = $1`,

  // Each arm matches its due query's predicate, so each is answered by that query's index.
  nextDeadline: `SELECT LEAST(
      (SELECT min(timeout_at) FROM promises WHERE state = 'pending'),
      (SELECT min(expires_at) FROM tasks WHERE state IN ('pending', 'acquired')),
      (SELECT min(next_run_at) FROM schedules),
      (SELECT min(wake_at) FROM flow_rows)
    ) AS deadline`,
} as const;

type Statement = keyof typeof SQL;

/**
 * Batch reads of more ids than this are planned for each call, not prepared: a plan a pooled
 * connection prepared on a new schema (small tables, no statistics while autovacuum has not run)
 * scans the whole table, and keeps scanning as it grows. W1 on a new schema fell from 4,600 to
 * 2,000 steps/s over four rounds, each batch read taking 35 ms. Planned each time (they travel
 * pipelined with BEGIN, so this costs PostgreSQL some CPU but no round trip), they use the index
 * once the table is large enough for it to matter.
 */
const FEW_IDS = 8;
/**
 * Up to this many ids, a batch read is one primary-key read per id instead. Even prepared, a read
 * of `= ANY($1)` is planned again at every call (its generic plan cannot know the array's length,
 * so it never looks cheaper than a custom one): 0.10–0.18 ms of PostgreSQL's time per read (its
 * bind, in the server's log), the largest part of a lone step's reads. A read of `id = $1` moves
 * to its generic plan after five calls, and that plan reads the id's index even on a new table
 * (the planner assumes at least ten pages for a table never analyzed; an ANALYZE plans again).
 */
const SINGLE_READS = 2;

/** Collects WHERE conditions and their parameters for the search queries. */
class Conditions {
  readonly values: unknown[] = [];
  private readonly parts: string[] = [];

  /** `sql` refers to its parameter as `?` (each `?` is the same parameter). */
  add(sql: string, value: unknown): void {
    this.values.push(value);
    this.parts.push(sql.replaceAll("?", `$${this.values.length}`));
  }

  where(): string {
    return this.parts.length === 0 ? "" : `WHERE ${this.parts.join(" AND ")}`;
  }

  /** The placeholder for one more parameter, e.g. LIMIT. */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The distinct ids split into those with a buffered write (answered from it) and the others. */
function partition<R>(ids: readonly string[], buffered: (id: string) => R | undefined): { written: R[]; unwritten: string[] } {
  const written: R[] = [];
  const unwritten: string[] = [];
  for (const id of new Set(ids)) {
    const record = buffered(id);
    if (record) written.push(record);
    else unwritten.push(id);
  }
  return { written, unwritten };
}

/** What a take finds in the tables, then what this transaction added and did not write (a pair both hold counts once). */
function tablesThenAdded(fromTables: string[], added: readonly string[]): string[] {
  return [...fromTables, ...added.filter((item) => !fromTables.includes(item))];
}

/** Ids in the order PostgreSQL's "C" collation sorts them, as every transaction locks them (UTF-16 code units, as `<`). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `records` sorted by id (in place), as the Tx's reads answer. */
export function byId<R extends { id: string }>(records: R[]): R[] {
  return records.sort((a, b) => compareIds(a.id, b.id));
}

export class PostgresTx implements Tx {
  /**
   * Ids this transaction read as missing. No lock guards a missing row, so a later write of that id
   * must insert (not upsert): if someone else inserted meanwhile, our decision was based on a stale
   * read and the transaction is retried instead of overwriting their row.
   */
  private readonly absentTasks = new Set<string>();
  /**
   * Promises this transaction read as missing. A task is written with its promise, so finding a
   * task whose promise we read as missing means another transaction committed both in between
   * (READ COMMITTED gives each statement a fresh snapshot): what we decided from the missing
   * promise (and what the row cache remembers of it) is stale, so the transaction starts over.
   */
  private readonly absentPromises = new Set<string>();
  private readonly absentSchedules = new Set<string>();
  private readonly writes = new WriteBehind();
  /** The rows read by id, at the version read, and what was deleted: what `seen` reports. */
  private readonly read: ReadRows = { promises: new Map(), tasks: new Map() };
  private readonly deleted: { ids: Set<string>; prefixes: string[] } = { ids: new Set(), prefixes: [] };
  /** This transaction's id, once a flush has written something. */
  private xid: string | undefined;
  /** The promise reads sent so far, settled once their rows are taken in (see `readingPromises`). */
  private promiseReads: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Waiters();

  private readonly flow: PostgresFlowTables;

  constructor(private readonly client: PoolClient) {
    this.flow = new PostgresFlowTables(client);
  }

  /** Sends the buffered writes. The backend calls it before COMMIT; scans call it before reading. */
  flush(): Promise<void> {
    // Once written, the waiters are in the tables: a later take must look there.
    const waiters = this.writes.waitersToWrite();
    for (const [awaited, awaiter] of waiters.callbacks) {
      this.waiters.set(awaited, "awaited", true);
      this.waiters.set(awaiter, "awaiting", true);
    }
    for (const [awaited] of waiters.listeners) this.waiters.set(awaited, "listened", true);
    // The flush statement leaves before this returns (the backend pipelines COMMIT behind it).
    return this.writes.flush(this.client, waiters).then((xid) => {
      this.xid ??= xid;
    });
  }

  /** What this transaction read and wrote of promises and tasks; for known-rows.ts once it has committed. */
  seen(): SeenRows {
    return { read: this.read, written: this.writes.written, xid: this.xid, deleted: this.deleted };
  }

  private async run<R extends QueryResultRow>(statement: Statement, values: unknown[], planEachTime = false): Promise<R[]> {
    const result = await this.client.query<R>({ name: planEachTime ? undefined : `reprise_${statement}`, text: SQL[statement], values });
    return result.rows;
  }

  /**
   * The locked rows of `ids`: a few by one primary-key read each, sent together in id order (the
   * order every transaction locks in), more by one set-based read.
   */
  private async readByIds<R extends QueryResultRow>(one: Statement, many: Statement, ids: readonly string[]): Promise<R[]> {
    if (ids.length === 0) return [];
    if (ids.length > SINGLE_READS) return this.run<R>(many, [ids], ids.length > FEW_IDS);
    // The default sort compares UTF-16 code units, as `<` does: the order the set-based read locks in.
    return (await Promise.all([...ids].sort().map((id) => this.run<R>(one, [id])))).flat();
  }

  private async count(statement: Statement, values: unknown[]): Promise<number> {
    const result = await this.client.query({ name: `reprise_${statement}`, text: SQL[statement], values });
    return result.rowCount ?? 0;
  }

  getPromise(id: string): Promise<PromiseRecord | undefined> {
    return this.readingPromises(this.readPromise(id));
  }

  getPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
    return this.readingPromises(this.readPromises(ids));
  }

  /**
   * Reads of promises and of tasks may be in flight together (pipelined); a task read checks what
   * the promise reads sent before it found missing, so it waits for them to be taken in.
   */
  private readingPromises<R>(read: Promise<R>): Promise<R> {
    this.promiseReads = read.catch(() => undefined);
    return read;
  }

  private async readPromise(id: string): Promise<PromiseRecord | undefined> {
    const written = this.writes.promise(id);
    if (written) return written;
    const [row] = await this.run<Revised<PromiseRow>>("getPromise", [id]);
    if (!row) this.absentPromises.add(id);
    return row && this.lockedPromise(row);
  }

  private async readPromises(ids: readonly string[]): Promise<PromiseRecord[]> {
    const { written, unwritten } = partition(ids, (id) => this.writes.promise(id));
    const rows = await this.readByIds<Revised<PromiseRow>>("getPromise", "getPromises", unwritten);
    const found = new Set(rows.map((row) => row.id));
    for (const id of unwritten) if (!found.has(id)) this.absentPromises.add(id);
    return byId([...written, ...rows.map((row) => this.lockedPromise(row))]);
  }

  async insertPromise(promise: PromiseRecord): Promise<void> {
    // Sent at the flush. A concurrent insert of the same id blocks it until that one commits; DO
    // NOTHING then keeps our transaction usable and tells us to start over (the retry finds the row).
    this.writes.insertPromise(promise);
    this.absentPromises.delete(promise.id);
    this.waiters.inserted(promise.id);
  }

  async updatePromise(promise: PromiseRecord): Promise<void> {
    this.writes.updatePromise(promise);
  }

  async searchPromises(query: PromiseQuery): Promise<PromiseRecord[]> {
    await this.flush();
    const conditions = new Conditions();
    const pattern = query.idPattern;
    if (pattern !== undefined && !pattern.includes("*")) {
      conditions.add("id = ?", pattern);
    } else if (pattern !== undefined && pattern !== "*") {
      // The range lets the primary key find the candidates; LIKE then checks the rest of the glob.
      const { lower, upper } = prefixRange(literalPrefix(pattern));
      if (lower !== "") conditions.add(`${atLeast("?")} AND id >= ?`, lower);
      if (upper !== undefined) conditions.add(`${below("?")} AND id < ?`, upper);
      if (pattern !== `${lower}*`) conditions.add("id LIKE ?", globToLike(pattern));
    }
    if (query.state !== undefined) conditions.add("state = ?", query.state);
    if (query.tags !== undefined && Object.keys(query.tags).length > 0) {
      // Served by the GIN index promises_tags.
      conditions.add("reprise_searchable(tags) @> reprise_searchable(?)", JSON.stringify(query.tags));
    }
    if (query.after !== undefined) conditions.add(`${atLeast("?")} AND id > ?`, query.after);
    const sql = `SELECT ${PROMISE_COLUMNS} FROM promises ${conditions.where()} ORDER BY ${ID_ORDER} LIMIT ${conditions.param(query.limit)}`;
    const result = await this.client.query<PromiseRow>(sql, conditions.values);
    return result.rows.map(promiseFromRow);
  }

  async duePromises(now: number, limit: number): Promise<PromiseRecord[]> {
    await this.flush();
    return (await this.run<Revised<PromiseRow>>("duePromises", [now, limit])).map((row) => this.lockedPromise(row));
  }

  async promisesUnder(prefix: string, limit: number, after?: string): Promise<PromiseRecord[]> {
    const { lower, upper } = prefixRange(`${prefix}.`);
    // A preload of a new execution scans a range nothing in this batch wrote: no flush needed.
    if (this.writes.hasPromiseIn(lower, upper)) await this.flush();
    const past = after !== undefined && after >= lower;
    const rows =
      upper === undefined
        ? past
          ? await this.run<PromiseRow>("promisesAfter", [after, limit])
          : await this.run<PromiseRow>("promisesFrom", [lower, limit])
        : past
          ? await this.run<PromiseRow>("promisesAfterInRange", [after, upper, limit])
          : await this.run<PromiseRow>("promisesInRange", [lower, upper, limit]);
    return rows.map(promiseFromRow);
  }

  /** One range read per id, all sent at once: the connection pipelines them. */
  promisesUnderEach(ids: readonly string[], limit: number): Promise<PromiseRecord[][]> {
    return Promise.all(ids.map((id) => this.promisesUnder(id, limit)));
  }

  /**
   * Buffered, written with the flush. `waiters` keeps saying what the tables hold: a take answers
   * from the tables (when they may hold some) and then from what this transaction added.
   */
  async addCallback(awaited: string, awaiter: string): Promise<void> {
    this.writes.addCallback(awaited, awaiter);
  }

  async takeCallbacks(awaited: string): Promise<string[]> {
    const added = this.writes.takeCallbacks(awaited);
    if (!(await this.waiters.mayHave(this.client, awaited, "awaited"))) return added;
    const awaiters = (await this.run<{ awaiter: string }>("takeCallbacks", [awaited])).map((row) => row.awaiter);
    this.waiters.set(awaited, "awaited", false);
    return tablesThenAdded(awaiters, added);
  }

  async deleteCallbacksOf(awaiter: string): Promise<void> {
    this.writes.dropCallbacksOf(awaiter);
    if (!(await this.waiters.mayHave(this.client, awaiter, "awaiting"))) return;
    await this.count("deleteCallbacksOf", [awaiter]);
    this.waiters.set(awaiter, "awaiting", false);
  }

  async addListener(awaited: string, address: string): Promise<void> {
    this.writes.addListener(awaited, address);
  }

  async takeListeners(awaited: string): Promise<string[]> {
    const added = this.writes.takeListeners(awaited);
    if (!(await this.waiters.mayHave(this.client, awaited, "listened"))) return added;
    const addresses = (await this.run<{ address: string }>("takeListeners", [awaited])).map((row) => row.address);
    this.waiters.set(awaited, "listened", false);
    return tablesThenAdded(addresses, added);
  }

  /** A promise row read `FOR UPDATE`: this transaction holds it until it ends. */
  private lockedPromise(row: Revised<PromiseRow>): PromiseRecord {
    this.waiters.locked(row.id);
    const record = promiseFromRow(row);
    this.read.promises.set(row.id, { record, rev: row.rev, payloadChars: row.param.length + row.value.length });
    return record;
  }

  private lockedTask(row: Revised<TaskRow>): TaskRecord {
    const record = taskFromRow(row);
    this.read.tasks.set(row.id, { record, rev: row.rev });
    return record;
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    const written = this.writes.task(id);
    if (written) return written;
    const [row] = await this.run<Revised<TaskRow>>("getTask", [id]);
    await this.promiseReads;
    if (!row) this.absentTasks.add(id);
    else this.checkPromiseSeen(id);
    return row && this.lockedTask(row);
  }

  async getTasks(ids: readonly string[]): Promise<TaskRecord[]> {
    const { written, unwritten } = partition(ids, (id) => this.writes.task(id));
    const rows = await this.readByIds<Revised<TaskRow>>("getTask", "getTasks", unwritten);
    await this.promiseReads;
    const found = new Set(rows.map((row) => row.id));
    for (const id of unwritten) if (!found.has(id)) this.absentTasks.add(id);
    for (const id of found) this.checkPromiseSeen(id);
    return byId([...written, ...rows.map((row) => this.lockedTask(row))]);
  }

  /** A task found whose promise we read as missing was committed since: see `absentPromises`. */
  private checkPromiseSeen(taskId: string): void {
    if (this.absentPromises.has(taskId)) throw new ConcurrentInsertError("promises", taskId);
  }

  async putTask(task: TaskRecord): Promise<void> {
    // Once written, the row exists (at the flush), so it is no longer ours to insert.
    this.writes.putTask(task, this.absentTasks.delete(task.id));
  }

  async searchTasks(query: TaskQuery): Promise<TaskRecord[]> {
    await this.flush();
    const conditions = new Conditions();
    if (query.state !== undefined) conditions.add("state = ?", query.state);
    if (query.pid !== undefined) conditions.add("pid = ?", query.pid);
    if (query.after !== undefined) conditions.add(`${atLeast("?")} AND id > ?`, query.after);
    const sql = `SELECT ${TASK_COLUMNS} FROM tasks ${conditions.where()} ORDER BY ${ID_ORDER} LIMIT ${conditions.param(query.limit)}`;
    const result = await this.client.query<TaskRow>(sql, conditions.values);
    return result.rows.map(taskFromRow);
  }

  async taskHolders(limit: number, after?: string): Promise<string[]> {
    await this.flush();
    // Every pid is a valid id, so never empty: "" is before them all.
    return (await this.run<{ pid: string }>("taskHolders", [after ?? "", limit])).map((row) => row.pid);
  }

  async dueTasks(now: number, limit: number): Promise<TaskRecord[]> {
    await this.flush();
    return (await this.run<TaskRow>("dueTasks", [now, limit])).map(taskFromRow);
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    const [row] = await this.run<ScheduleRow>("getSchedule", [id]);
    if (!row) this.absentSchedules.add(id);
    return row && scheduleFromRow(row);
  }

  async putSchedule(schedule: ScheduleRecord): Promise<void> {
    if (!this.absentSchedules.has(schedule.id)) {
      await this.count("upsertSchedule", scheduleParams(schedule));
      return;
    }
    if ((await this.count("insertSchedule", scheduleParams(schedule))) === 0) {
      throw new ConcurrentInsertError("schedules", schedule.id);
    }
    this.absentSchedules.delete(schedule.id);
  }

  async deleteSchedule(id: string): Promise<void> {
    await this.count("deleteSchedule", [id]);
  }

  async searchSchedules(query: ScheduleQuery): Promise<ScheduleRecord[]> {
    const conditions = new Conditions();
    if (query.tags !== undefined && Object.keys(query.tags).length > 0) {
      // Schedules are few: no index, each row's tags are converted as the search reads it.
      conditions.add("reprise_searchable(promise_tags) @> reprise_searchable(?)", JSON.stringify(query.tags));
    }
    if (query.after !== undefined) conditions.add(`${atLeast("?")} AND id > ?`, query.after);
    const sql = `SELECT ${SCHEDULE_COLUMNS} FROM schedules ${conditions.where()} ORDER BY ${ID_ORDER} LIMIT ${conditions.param(query.limit)}`;
    const result = await this.client.query<ScheduleRow>(sql, conditions.values);
    return result.rows.map(scheduleFromRow);
  }

  async dueSchedules(now: number, limit: number): Promise<ScheduleRecord[]> {
    return (await this.run<ScheduleRow>("dueSchedules", [now, limit])).map(scheduleFromRow);
  }

  async nextDeadline(): Promise<number | undefined> {
    await this.flush();
    const [row] = await this.run<{ deadline: string | null }>("nextDeadline", []);
    return row?.deadline == null ? undefined : Number(row.deadline);
  }

  // Flow control (kernel/flow.ts): its tables are flow-tx.ts's. They never scan promises or tasks,
  // so the buffered writes need no flush first.
  getFlowLimits(): Promise<FlowDeclaration[]> {
    return this.flow.getFlowLimits();
  }
  getFlowLimit(group: string, func: string): Promise<FlowDeclaration | undefined> {
    return this.flow.getFlowLimit(group, func);
  }
  putFlowLimit(declaration: FlowDeclaration): Promise<void> {
    return this.flow.putFlowLimit(declaration);
  }
  deleteFlowLimit(group: string, func: string): Promise<void> {
    return this.flow.deleteFlowLimit(group, func);
  }
  lockFlowRow(group: string, func: string, key: string): Promise<FlowRow> {
    return this.flow.lockFlowRow(group, func, key);
  }
  putFlowRow(row: FlowRow): Promise<void> {
    return this.flow.putFlowRow(row);
  }
  deleteFlowRow(id: string): Promise<void> {
    return this.flow.deleteFlowRow(id);
  }
  dueFlowRows(now: number, limit: number): Promise<FlowRow[]> {
    return this.flow.dueFlowRows(now, limit);
  }
  queueTask(entry: QueuedTask): Promise<void> {
    return this.flow.queueTask(entry);
  }
  unqueueTask(taskId: string): Promise<boolean> {
    return this.flow.unqueueTask(taskId);
  }
  queuedAhead(flowId: string, entry: Pick<QueuedTask, "taskId" | "priority" | "createdAt">, limit: number): Promise<number> {
    return this.flow.queuedAhead(flowId, entry, limit);
  }
  queueHeads(flowId: string, limit: number): Promise<QueuedTask[]> {
    return this.flow.queueHeads(flowId, limit);
  }
  flowCounts(limit: number): Promise<FlowCounts[]> {
    return this.flow.flowCounts(limit);
  }

  async putFinished(root: FinishedRoot): Promise<void> {
    this.writes.putFinished(root);
  }

  async getFinished(id: string): Promise<FinishedRoot | undefined> {
    const written = this.writes.finishedRoot(id);
    if (written) return written;
    const [row] = await this.run<FinishedRow>("getFinished", [id]);
    return row && finishedFromRow(row);
  }

  async finishedDue(now: number, limit: number): Promise<FinishedRoot[]> {
    await this.flush();
    return (await this.run<FinishedRow>("finishedDue", [now, limit])).map(finishedFromRow);
  }

  async finishedBy(settledBy: number, limit: number, after?: Pick<FinishedRoot, "id" | "settledAt">): Promise<FinishedRoot[]> {
    await this.flush();
    const rows =
      after === undefined
        ? await this.run<FinishedRow>("finishedBy", [settledBy, limit])
        : await this.run<FinishedRow>("finishedByAfter", [settledBy, after.settledAt, after.id, limit]);
    return rows.map(finishedFromRow);
  }

  async hasPendingWithPrefix(prefix: string): Promise<boolean> {
    await this.flush();
    const { lower, upper } = boundedRange(prefix);
    return (await this.run("pendingInRange", [lower, upper])).length > 0;
  }

  async deleteWithPrefix(prefix: string, limit: number): Promise<number> {
    await this.flush();
    const { lower, upper } = boundedRange(prefix);
    this.deleted.prefixes.push(prefix);
    const [row] = await this.run<{ deleted: number }>("deleteInRange", [lower, upper, limit]);
    return row?.deleted ?? 0;
  }

  async deletePromise(id: string): Promise<void> {
    await this.flush();
    this.deleted.ids.add(id);
    await this.count("deletePromise", [id]);
  }
}
