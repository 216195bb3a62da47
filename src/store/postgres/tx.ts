/**
 * One PostgreSQL transaction seen through the `Tx` interface. READ COMMITTED plus row locks:
 * single-row reads lock the row (`FOR UPDATE`) so read-modify-writes of one record serialize, and
 * due-work queries skip rows another replica has locked, so concurrent ticks take disjoint work.
 */
import type { PoolClient, QueryResultRow } from "pg";
import type { PromiseRecord, ScheduleRecord, TaskRecord } from "../../protocol/records.js";
import type { PromiseQuery, ScheduleQuery, TaskQuery, Tx } from "../backend.js";
import { globToLike, literalPrefix, prefixRange } from "./patterns.js";
import { ConcurrentInsertError } from "./retry.js";
import {
  PROMISE_COLUMNS,
  promiseFromRow,
  promiseParams,
  SCHEDULE_COLUMNS,
  scheduleFromRow,
  scheduleParams,
  TASK_COLUMNS,
  taskFromRow,
  taskParams,
  type PromiseRow,
  type ScheduleRow,
  type TaskRow,
} from "./rows.js";

/** Fixed statements, prepared once per connection (the name is the cache key). */
const SQL = {
  getPromise: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE id = $1 FOR UPDATE`,
  insertPromise: `INSERT INTO promises (${PROMISE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (id) DO NOTHING`,
  updatePromise: `UPDATE promises SET state = $2, param = $3, value = $4, tags = $5, timeout_at = $6, created_at = $7,
    settled_at = $8, idempotency_key_for_create = $9, idempotency_key_for_complete = $10 WHERE id = $1`,
  duePromises: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE state = 'pending' AND timeout_at <= $1
    ORDER BY timeout_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
  promisesInRange: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE id >= $1 AND id < $2 ORDER BY id LIMIT $3`,
  promisesFrom: `SELECT ${PROMISE_COLUMNS} FROM promises WHERE id >= $1 ORDER BY id LIMIT $2`,

  addCallback: "INSERT INTO callbacks (awaited, awaiter) VALUES ($1, $2) ON CONFLICT DO NOTHING",
  takeCallbacks: `WITH taken AS (DELETE FROM callbacks WHERE awaited = $1 RETURNING awaiter, seq)
    SELECT awaiter FROM taken ORDER BY seq`,
  deleteCallbacksOf: "DELETE FROM callbacks WHERE awaiter = $1",
  addListener: "INSERT INTO listeners (awaited, address) VALUES ($1, $2) ON CONFLICT DO NOTHING",
  takeListeners: `WITH taken AS (DELETE FROM listeners WHERE awaited = $1 RETURNING address, seq)
    SELECT address FROM taken ORDER BY seq`,

  getTask: `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 FOR UPDATE`,
  insertTask: `INSERT INTO tasks (${TASK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
  upsertTask: `INSERT INTO tasks (${TASK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, resumes = EXCLUDED.resumes,
      ttl = EXCLUDED.ttl, pid = EXCLUDED.pid, expires_at = EXCLUDED.expires_at`,
  dueTasks: `SELECT ${TASK_COLUMNS} FROM tasks WHERE state IN ('pending', 'acquired') AND expires_at <= $1
    ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,

  getSchedule: `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 FOR UPDATE`,
  insertSchedule: `INSERT INTO schedules (${SCHEDULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (id) DO NOTHING`,
  upsertSchedule: `INSERT INTO schedules (${SCHEDULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (id) DO UPDATE SET cron = EXCLUDED.cron, promise_id = EXCLUDED.promise_id,
      promise_timeout = EXCLUDED.promise_timeout, promise_param = EXCLUDED.promise_param,
      promise_tags = EXCLUDED.promise_tags, created_at = EXCLUDED.created_at, next_run_at = EXCLUDED.next_run_at,
      last_run_at = EXCLUDED.last_run_at`,
  deleteSchedule: "DELETE FROM schedules WHERE id = $1",
  dueSchedules: `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE next_run_at <= $1
    ORDER BY next_run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,

  // Each arm matches its due query's predicate, so each is answered by that query's index.
  nextDeadline: `SELECT LEAST(
      (SELECT min(timeout_at) FROM promises WHERE state = 'pending'),
      (SELECT min(expires_at) FROM tasks WHERE state IN ('pending', 'acquired')),
      (SELECT min(next_run_at) FROM schedules)
    ) AS deadline`,
} as const;

type Statement = keyof typeof SQL;

/** Collects WHERE conditions and their parameters for the search queries. */
class Conditions {
  readonly values: unknown[] = [];
  private readonly parts: string[] = [];

  /** `sql` refers to its parameter as `?`. */
  add(sql: string, value: unknown): void {
    this.values.push(value);
    this.parts.push(sql.replace("?", `$${this.values.length}`));
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

export class PostgresTx implements Tx {
  /**
   * Ids this transaction read as missing. No lock guards a missing row, so a later write of that id
   * must insert (not upsert): if someone else inserted meanwhile, our decision was based on a stale
   * read and the transaction is retried instead of overwriting their row.
   */
  private readonly absentTasks = new Set<string>();
  private readonly absentSchedules = new Set<string>();

  constructor(private readonly client: PoolClient) {}

  private async run<R extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<R[]> {
    const result = await this.client.query<R>({ name: `reprise_${statement}`, text: SQL[statement], values });
    return result.rows;
  }

  private async count(statement: Statement, values: unknown[]): Promise<number> {
    const result = await this.client.query({ name: `reprise_${statement}`, text: SQL[statement], values });
    return result.rowCount ?? 0;
  }

  async getPromise(id: string): Promise<PromiseRecord | undefined> {
    const [row] = await this.run<PromiseRow>("getPromise", [id]);
    return row && promiseFromRow(row);
  }

  async insertPromise(promise: PromiseRecord): Promise<void> {
    // A concurrent insert of the same id blocks us until it commits; DO NOTHING then keeps our
    // transaction usable and tells us to start over (the retry will find the row).
    if ((await this.count("insertPromise", promiseParams(promise))) === 0) {
      throw new ConcurrentInsertError("promises", promise.id);
    }
  }

  async updatePromise(promise: PromiseRecord): Promise<void> {
    if ((await this.count("updatePromise", promiseParams(promise))) === 0) {
      throw new Error(`updatePromise: no promise ${JSON.stringify(promise.id)}`);
    }
  }

  async searchPromises(query: PromiseQuery): Promise<PromiseRecord[]> {
    const conditions = new Conditions();
    const pattern = query.idPattern;
    if (pattern !== undefined && !pattern.includes("*")) {
      conditions.add("id = ?", pattern);
    } else if (pattern !== undefined && pattern !== "*") {
      // The range lets the primary key find the candidates; LIKE then checks the rest of the glob.
      const { lower, upper } = prefixRange(literalPrefix(pattern));
      if (lower !== "") conditions.add("id >= ?", lower);
      if (upper !== undefined) conditions.add("id < ?", upper);
      if (pattern !== `${lower}*`) conditions.add("id LIKE ?", globToLike(pattern));
    }
    if (query.state !== undefined) conditions.add("state = ?", query.state);
    if (query.tags !== undefined && Object.keys(query.tags).length > 0) {
      // Served by the GIN index promises_tags.
      conditions.add("reprise_searchable(tags) @> reprise_searchable(?)", JSON.stringify(query.tags));
    }
    if (query.after !== undefined) conditions.add("id > ?", query.after);
    const sql = `SELECT ${PROMISE_COLUMNS} FROM promises ${conditions.where()} ORDER BY id LIMIT ${conditions.param(query.limit)}`;
    const result = await this.client.query<PromiseRow>(sql, conditions.values);
    return result.rows.map(promiseFromRow);
  }

  async duePromises(now: number, limit: number): Promise<PromiseRecord[]> {
    return (await this.run<PromiseRow>("duePromises", [now, limit])).map(promiseFromRow);
  }

  async promisesUnder(prefix: string, limit: number): Promise<PromiseRecord[]> {
    const { lower, upper } = prefixRange(`${prefix}.`);
    const rows =
      upper === undefined
        ? await this.run<PromiseRow>("promisesFrom", [lower, limit])
        : await this.run<PromiseRow>("promisesInRange", [lower, upper, limit]);
    return rows.map(promiseFromRow);
  }

  async addCallback(awaited: string, awaiter: string): Promise<void> {
    await this.count("addCallback", [awaited, awaiter]);
  }

  async takeCallbacks(awaited: string): Promise<string[]> {
    return (await this.run<{ awaiter: string }>("takeCallbacks", [awaited])).map((row) => row.awaiter);
  }

  async deleteCallbacksOf(awaiter: string): Promise<void> {
    await this.count("deleteCallbacksOf", [awaiter]);
  }

  async addListener(awaited: string, address: string): Promise<void> {
    await this.count("addListener", [awaited, address]);
  }

  async takeListeners(awaited: string): Promise<string[]> {
    return (await this.run<{ address: string }>("takeListeners", [awaited])).map((row) => row.address);
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    const [row] = await this.run<TaskRow>("getTask", [id]);
    if (!row) this.absentTasks.add(id);
    return row && taskFromRow(row);
  }

  async putTask(task: TaskRecord): Promise<void> {
    if (!this.absentTasks.has(task.id)) {
      await this.count("upsertTask", taskParams(task));
      return;
    }
    if ((await this.count("insertTask", taskParams(task))) === 0) throw new ConcurrentInsertError("tasks", task.id);
    this.absentTasks.delete(task.id);
  }

  async searchTasks(query: TaskQuery): Promise<TaskRecord[]> {
    const conditions = new Conditions();
    if (query.state !== undefined) conditions.add("state = ?", query.state);
    if (query.after !== undefined) conditions.add("id > ?", query.after);
    const sql = `SELECT ${TASK_COLUMNS} FROM tasks ${conditions.where()} ORDER BY id LIMIT ${conditions.param(query.limit)}`;
    const result = await this.client.query<TaskRow>(sql, conditions.values);
    return result.rows.map(taskFromRow);
  }

  async dueTasks(now: number, limit: number): Promise<TaskRecord[]> {
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
    if (query.after !== undefined) conditions.add("id > ?", query.after);
    const sql = `SELECT ${SCHEDULE_COLUMNS} FROM schedules ${conditions.where()} ORDER BY id LIMIT ${conditions.param(query.limit)}`;
    const result = await this.client.query<ScheduleRow>(sql, conditions.values);
    return result.rows.map(scheduleFromRow);
  }

  async dueSchedules(now: number, limit: number): Promise<ScheduleRecord[]> {
    return (await this.run<ScheduleRow>("dueSchedules", [now, limit])).map(scheduleFromRow);
  }

  async nextDeadline(): Promise<number | undefined> {
    const [row] = await this.run<{ deadline: string | null }>("nextDeadline", []);
    return row?.deadline == null ? undefined : Number(row.deadline);
  }
}
