/**
 * Write-behind for one PostgreSQL transaction: inserts and updates of promises and tasks (and the
 * finished-root rows of retention, and new callbacks and listeners) are kept here, the last write of a row replacing the earlier
 * ones, and written by ONE set-based statement (arrays unnested into multi-row INSERT … ON
 * CONFLICT and UPDATE … FROM) when the transaction commits or before a query scans those tables. A batch of a thousand steps then costs one round
 * trip of writes instead of a thousand.
 *
 * Deferring a write is safe because every row written was read first with `FOR UPDATE` (or found
 * missing): nobody else can change it meanwhile. A row we believed missing but someone else
 * inserted meanwhile fails the flush with a unique violation, which aborts the transaction (so the
 * COMMIT pipelined behind the flush rolls it back) and is retried as a lost race (retry.ts).
 */
import type { PoolClient } from "pg";
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";
import { ID_CONFLICT } from "./migrations.js";
import type { FinishedRoot } from "../backend.js";
import { PROMISE_COLUMNS, promiseParams, TASK_COLUMNS } from "./rows.js";

const PROMISE_ARRAYS = "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::text[]";
const PROMISE_UPDATE_ARRAYS = "$11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[], $17::bigint[], $18::bigint[], $19::text[], $20::text[]";
const TASK_FIELDS = "v.id, v.state, v.version, v.resumes::text[], v.ttl, v.pid, v.expires_at, v.releases";
const TASK_VALUES = "v(id, state, version, resumes, ttl, pid, expires_at, releases)";

/** Every buffered write in one statement; each part is a no-op when its arrays are empty. */
const FLUSH = `WITH
  inserted_promises AS (
    INSERT INTO promises (${PROMISE_COLUMNS}) SELECT * FROM unnest(${PROMISE_ARRAYS})),
  updated_promises AS (
    UPDATE promises AS p SET state = v.state, param = v.param, value = v.value, tags = v.tags, timeout_at = v.timeout_at,
      created_at = v.created_at, settled_at = v.settled_at, idempotency_key_for_create = v.key_for_create,
      idempotency_key_for_complete = v.key_for_complete
    FROM unnest(${PROMISE_UPDATE_ARRAYS})
      AS v(id, state, param, value, tags, timeout_at, created_at, settled_at, key_for_create, key_for_complete)
    WHERE p.id = v.id RETURNING p.id),
  inserted_tasks AS (
    INSERT INTO tasks (${TASK_COLUMNS}) SELECT ${TASK_FIELDS}
    FROM unnest($21::text[], $22::text[], $23::integer[], $24::text[], $25::bigint[], $26::text[], $27::bigint[], $28::integer[]) AS ${TASK_VALUES}),
  upserted_finished AS (
    INSERT INTO finished_roots (id, settled_at, purge_at) SELECT * FROM unnest($37::text[], $38::bigint[], $39::bigint[])
    ON CONFLICT ${ID_CONFLICT} DO UPDATE SET settled_at = EXCLUDED.settled_at, purge_at = EXCLUDED.purge_at),
  upserted_tasks AS (
    INSERT INTO tasks (${TASK_COLUMNS}) SELECT ${TASK_FIELDS}
    FROM unnest($29::text[], $30::text[], $31::integer[], $32::text[], $33::bigint[], $34::text[], $35::bigint[], $36::integer[]) AS ${TASK_VALUES}
    ON CONFLICT ${ID_CONFLICT} DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, resumes = EXCLUDED.resumes,
      ttl = EXCLUDED.ttl, pid = EXCLUDED.pid, expires_at = EXCLUDED.expires_at, releases = EXCLUDED.releases
    RETURNING id),
  inserted_callbacks AS (
    INSERT INTO callbacks (awaited, awaiter) SELECT * FROM unnest($40::text[], $41::text[]) ON CONFLICT DO NOTHING),
  inserted_listeners AS (
    INSERT INTO listeners (awaited, address) SELECT * FROM unnest($42::text[], $43::text[]) ON CONFLICT DO NOTHING)
-- Data-modifying parts run whether or not they are read.
SELECT ARRAY(SELECT id FROM updated_promises) AS updated_promises`;

interface Buffered<R> {
  record: R;
  /** Insert (the row was missing: a conflict means a lost race) rather than update/upsert. */
  insert: boolean;
}

export class WriteBehind {
  private readonly promises = new Map<string, Buffered<PromiseRecord>>();
  private readonly tasks = new Map<string, Buffered<TaskRecord>>();
  /** Finished roots (retention): written with the settlement that finished them, no round trip of their own. */
  private readonly finished = new Map<string, FinishedRoot>();
  /** Callbacks added by this transaction and not taken back: awaited → awaiters, in the order added. */
  private readonly callbacks = new Map<string, string[]>();
  /** Listeners added by this transaction and not taken back: awaited → addresses, in the order added. */
  private readonly listeners = new Map<string, string[]>();

  promise(id: string): PromiseRecord | undefined {
    return this.promises.get(id)?.record;
  }

  task(id: string): TaskRecord | undefined {
    return this.tasks.get(id)?.record;
  }

  insertPromise(promise: PromiseRecord): void {
    if (this.promises.has(promise.id)) throw new Error(`insertPromise: promise ${JSON.stringify(promise.id)} exists`);
    this.promises.set(promise.id, { record: promise, insert: true });
  }

  /** An update of a row inserted in this transaction is still its insert, with the newer contents. */
  updatePromise(promise: PromiseRecord): void {
    this.promises.set(promise.id, { record: promise, insert: this.promises.get(promise.id)?.insert ?? false });
  }

  putTask(task: TaskRecord, missing: boolean): void {
    this.tasks.set(task.id, { record: task, insert: this.tasks.get(task.id)?.insert ?? missing });
  }

  putFinished(root: FinishedRoot): void {
    this.finished.set(root.id, root);
  }

  finishedRoot(id: string): FinishedRoot | undefined {
    return this.finished.get(id);
  }

  addCallback(awaited: string, awaiter: string): void {
    addTo(this.callbacks, awaited, awaiter);
  }

  /** The callbacks on `awaited` added here and not written yet; they are forgotten. */
  takeCallbacks(awaited: string): string[] {
    return takeFrom(this.callbacks, awaited);
  }

  /** Forgets the callbacks added here whose awaiter is `awaiter`. */
  dropCallbacksOf(awaiter: string): void {
    for (const [awaited, awaiters] of this.callbacks) {
      const kept = awaiters.filter((id) => id !== awaiter);
      if (kept.length === 0) this.callbacks.delete(awaited);
      else this.callbacks.set(awaited, kept);
    }
  }

  addListener(awaited: string, address: string): void {
    addTo(this.listeners, awaited, address);
  }

  /** The listeners on `awaited` added here and not written yet; they are forgotten. */
  takeListeners(awaited: string): string[] {
    return takeFrom(this.listeners, awaited);
  }

  /** Every callback ([awaited, awaiter]) and listener ([awaited, address]) the next flush writes. */
  waitersToWrite(): { callbacks: [string, string][]; listeners: [string, string][] } {
    return { callbacks: pairsOf(this.callbacks), listeners: pairsOf(this.listeners) };
  }

  get empty(): boolean {
    return this.promises.size === 0 && this.tasks.size === 0 && this.finished.size === 0 && this.callbacks.size === 0 && this.listeners.size === 0;
  }

  /** Whether a promise written here (not flushed yet) has an id in [lower, upper); no upper: unbounded. */
  hasPromiseIn(lower: string, upper: string | undefined): boolean {
    for (const id of this.promises.keys()) if (id >= lower && (upper === undefined || id < upper)) return true;
    return false;
  }

  /** Writes everything buffered in one statement, then forgets it. */
  async flush(client: PoolClient, waiters = this.waitersToWrite()): Promise<void> {
    if (this.empty) return;
    // In id order: two transactions inserting the same new ids then wait for each other in the
    // same order, instead of each holding one the other wants (a deadlock, found only after a second).
    const promises = [...this.promises.values()].sort(byRecordId);
    const tasks = [...this.tasks.values()].sort(byRecordId);
    const promiseInserts = promises.filter((p) => p.insert).map((p) => p.record);
    const promiseUpdates = promises.filter((p) => !p.insert).map((p) => p.record);
    const taskInserts = tasks.filter((t) => t.insert).map((t) => t.record);
    const taskUpserts = tasks.filter((t) => !t.insert).map((t) => t.record);
    const finished = [...this.finished.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { callbacks, listeners } = waiters;
    this.promises.clear();
    this.tasks.clear();
    this.finished.clear();
    this.callbacks.clear();
    this.listeners.clear();
    const result = await client.query<{ updated_promises: string[] }>({
      name: "reprise_flush",
      text: FLUSH,
      values: [
        ...promiseColumns(promiseInserts),
        ...promiseColumns(promiseUpdates),
        ...taskColumns(taskInserts),
        ...taskColumns(taskUpserts),
        finished.map((f) => f.id),
        finished.map((f) => f.settledAt),
        finished.map((f) => f.purgeAt ?? null),
        callbacks.map(([awaited]) => awaited),
        callbacks.map(([, awaiter]) => awaiter),
        listeners.map(([awaited]) => awaited),
        listeners.map(([, address]) => address),
      ],
    });
    const row = result.rows[0]!;
    // Every update follows a locking read (or this transaction's own insert), so this cannot
    // happen; were it to, the transaction has committed by now (COMMIT is pipelined): say so loudly.
    const notFound = firstMissing(promiseUpdates, row.updated_promises);
    if (notFound !== undefined) throw new Error(`updatePromise: no promise ${JSON.stringify(notFound)}`);
  }
}

/** Ten arrays, one per promise column, in PROMISE_COLUMNS order. */
function promiseColumns(promises: readonly PromiseRecord[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 10 }, () => []);
  for (const promise of promises) promiseParams(promise).forEach((value, n) => columns[n]!.push(value));
  return columns;
}

/** Eight arrays, one per task column; `resumes` travels as an array literal (arrays of arrays must be rectangular). */
function taskColumns(tasks: readonly TaskRecord[]): unknown[][] {
  return [
    tasks.map((t) => t.id),
    tasks.map((t) => t.state),
    tasks.map((t) => t.version),
    tasks.map((t) => arrayLiteral(t.resumes)),
    tasks.map((t) => t.ttl ?? null),
    tasks.map((t) => t.pid ?? null),
    tasks.map((t) => t.expiresAt ?? null),
    tasks.map((t) => t.releases ?? 0),
  ];
}

/** `{"a","b"}`: every element quoted, backslash and double quote escaped, as PostgreSQL reads text[]. */
function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
}

function byRecordId(a: Buffered<{ id: string }>, b: Buffered<{ id: string }>): number {
  return a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0;
}

function firstMissing(records: readonly { id: string }[], returned: readonly string[]): string | undefined {
  if (returned.length === records.length) return undefined;
  const found = new Set(returned);
  return records.find((record) => !found.has(record.id))?.id;
}

function addTo(lists: Map<string, string[]>, key: string, item: string): void {
  const list = lists.get(key);
  if (list === undefined) lists.set(key, [item]);
  else if (!list.includes(item)) list.push(item);
}

function takeFrom(lists: Map<string, string[]>, key: string): string[] {
  const list = lists.get(key) ?? [];
  lists.delete(key);
  return list;
}

function pairsOf(lists: Map<string, string[]>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, items] of lists) for (const item of items) pairs.push([key, item]);
  return pairs;
}
