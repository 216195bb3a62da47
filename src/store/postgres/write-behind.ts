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
import { promiseColumnValues } from "../sql-rows.js";
import { PROMISE_COLUMNS, TASK_COLUMNS } from "./rows.js";

const PROMISE_TYPES = ["text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "text", "text"];
const TASK_TYPES = ["text", "text", "integer", "text", "bigint", "text", "bigint", "integer"];
const TASK_FIELDS = "v.id, v.state, v.version, v.resumes::text[], v.ttl, v.pid, v.expires_at, v.releases";
const TASK_VALUES = "v(id, state, version, resumes, ttl, pid, expires_at, releases)";

/** `$n::type[]` for each type, numbered from `first`. */
function arrays(types: readonly string[], first: number): string {
  return types.map((type, n) => `$${first + n}::${type}[]`).join(", ");
}

/**
 * The kinds of buffered write, each one part of the flush statement: a data-modifying CTE over
 * arrays (one per column) unnested into rows. A flush sends only the parts it has rows for: every
 * part costs PostgreSQL its planning, its locks on the table and its indexes, and its executor
 * start, whether or not it has rows (about 0.4 ms of a lone step's 0.5 with all of them).
 */
const PARTS = [
  { types: PROMISE_TYPES, sql: (p: number) => `inserted_promises AS (INSERT INTO promises (${PROMISE_COLUMNS}) SELECT * FROM unnest(${arrays(PROMISE_TYPES, p)}))` },
  {
    types: PROMISE_TYPES,
    sql: (p: number) => `updated_promises AS (
    UPDATE promises AS p SET state = v.state, param = v.param, value = v.value, tags = v.tags, timeout_at = v.timeout_at,
      created_at = v.created_at, settled_at = v.settled_at, idempotency_key_for_create = v.key_for_create,
      idempotency_key_for_complete = v.key_for_complete
    FROM unnest(${arrays(PROMISE_TYPES, p)})
      AS v(id, state, param, value, tags, timeout_at, created_at, settled_at, key_for_create, key_for_complete)
    WHERE p.id = v.id RETURNING p.id)`,
  },
  {
    types: TASK_TYPES,
    sql: (p: number) => `inserted_tasks AS (INSERT INTO tasks (${TASK_COLUMNS}) SELECT ${TASK_FIELDS} FROM unnest(${arrays(TASK_TYPES, p)}) AS ${TASK_VALUES})`,
  },
  {
    types: TASK_TYPES,
    sql: (p: number) => `upserted_tasks AS (
    INSERT INTO tasks (${TASK_COLUMNS}) SELECT ${TASK_FIELDS} FROM unnest(${arrays(TASK_TYPES, p)}) AS ${TASK_VALUES}
    ON CONFLICT ${ID_CONFLICT} DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, resumes = EXCLUDED.resumes,
      ttl = EXCLUDED.ttl, pid = EXCLUDED.pid, expires_at = EXCLUDED.expires_at, releases = EXCLUDED.releases)`,
  },
  {
    types: ["text", "bigint", "bigint"],
    sql: (p: number) => `upserted_finished AS (
    INSERT INTO finished_roots (id, settled_at, purge_at) SELECT * FROM unnest(${arrays(["text", "bigint", "bigint"], p)})
    ON CONFLICT ${ID_CONFLICT} DO UPDATE SET settled_at = EXCLUDED.settled_at, purge_at = EXCLUDED.purge_at)`,
  },
  {
    types: ["text", "text"],
    sql: (p: number) => `inserted_callbacks AS (INSERT INTO callbacks (awaited, awaiter) SELECT * FROM unnest(${arrays(["text", "text"], p)}) ON CONFLICT DO NOTHING)`,
  },
  {
    types: ["text", "text"],
    sql: (p: number) => `inserted_listeners AS (INSERT INTO listeners (awaited, address) SELECT * FROM unnest(${arrays(["text", "text"], p)}) ON CONFLICT DO NOTHING)`,
  },
] as const;

const INSERTED_PROMISES = 0;
const UPDATED_PROMISES = 1;

/**
 * The writing transaction's id as rows show it in `xmin` (txid_current() counts epochs above the
 * 32 bits): the revision of every row this transaction writes (known-rows.ts).
 */
const XID = "(txid_current() % 4294967296)::text";

/**
 * The statement of a flush that has rows for the parts in `present`. With `verified`, the flush
 * of a speculative transaction (speculation.ts): its last four parameters are the promises and
 * tasks it decided from and their revisions, and reprise_unchanged_rows (migration 7) locks each
 * and raises a serialization failure if one is not at its revision (NULL: still missing), so that
 * nothing of the statement happens. The statement is its own implicit transaction. The check is
 * the first column: PostgreSQL evaluates it, taking the locks, before the updates it reads (an
 * update first would hide its row from the lock). Data-modifying parts run whether or not read.
 */
function flushStatement(present: readonly boolean[], verified: boolean): string {
  const ctes: string[] = [];
  let next = 1;
  PARTS.forEach((part, n) => {
    if (!present[n]) return;
    ctes.push(part.sql(next));
    next += part.types.length;
  });
  const columns: string[] = [];
  if (verified) columns.push(`reprise_unchanged_rows(${arrays(["text", "xid", "text", "xid"], next)}) AS unchanged`);
  columns.push(present[UPDATED_PROMISES] ? "ARRAY(SELECT id FROM updated_promises) AS updated_promises" : "'{}'::text[] AS updated_promises");
  columns.push(ctes.length > 0 ? `${XID} AS xid` : "NULL::text AS xid");
  return `${ctes.length > 0 ? `WITH ${ctes.join(",\n  ")}\n` : ""}SELECT ${columns.join(", ")}`;
}

/**
 * The statement of a flush whose only write is one new promise (a lone workflow's step, most of
 * the time): a plain INSERT of its ten values, gated by the same check as `flushStatement` when
 * `verified` (parameters 11–14). A one-row SELECT with no FROM evaluates that check once, as a
 * filter, before the insert; a failed check raises and nothing is written. Measured against the
 * general statement with one row (arrays unnested in a data-modifying CTE): 0.39 ms a round trip
 * instead of 0.48, as PostgreSQL neither parses ten arrays nor plans the CTE's parts.
 */
function loneInsertStatement(verified: boolean): { name: string; text: string } {
  const values = PROMISE_TYPES.map((type, n) => `$${n + 1}::${type}`).join(", ");
  const check = verified ? ` WHERE reprise_unchanged_rows(${arrays(["text", "xid", "text", "xid"], PROMISE_TYPES.length + 1)})` : "";
  return {
    name: verified ? "reprise_lone_insert_verified" : "reprise_lone_insert",
    text: `INSERT INTO promises (${PROMISE_COLUMNS}) SELECT ${values}${check} RETURNING ${XID} AS xid`,
  };
}

const LONE_INSERT = loneInsertStatement(false);
const LONE_INSERT_VERIFIED = loneInsertStatement(true);

/** Statements by which parts they have (a bit each, then one for `verified`): prepared once per connection each. */
const statements = new Map<number, { name: string; text: string }>();

function statementFor(present: readonly boolean[], verified: boolean): { name: string; text: string } {
  const key = present.reduce((bits, has, n) => (has ? bits | (1 << n) : bits), verified ? 1 << PARTS.length : 0);
  let statement = statements.get(key);
  if (statement === undefined) {
    statement = { name: `reprise_flush_${key}`, text: flushStatement(present, verified) };
    statements.set(key, statement);
  }
  return statement;
}

/** The rows a speculative transaction decided from, each with the revision it read (null: missing). */
export interface Expected {
  promises: Map<string, string | null>;
  tasks: Map<string, string | null>;
}

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
  /** What the flushes so far wrote (see `written`). */
  private readonly writtenPromises = new Map<string, WrittenPromise>();
  private readonly writtenTasks = new Map<string, TaskRecord>();

  promise(id: string): PromiseRecord | undefined {
    return this.promises.get(id)?.record;
  }

  task(id: string): TaskRecord | undefined {
    return this.tasks.get(id)?.record;
  }

  /** Whether promise `id` is buffered as an insert (it was missing): a concurrent insert then fails the flush. */
  insertsPromise(id: string): boolean {
    return this.promises.get(id)?.insert ?? false;
  }

  /** Whether task `id` is buffered as an insert, as `insertsPromise`. */
  insertsTask(id: string): boolean {
    return this.tasks.get(id)?.insert ?? false;
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

  /**
   * Writes everything buffered in one statement, then forgets it; with `expected`, the statement
   * also checks the rows a speculative transaction decided from (`flushStatement`) and is sent even
   * with nothing to write. Returns the writing transaction's id, when a statement was sent.
   */
  async flush(client: PoolClient, waiters = this.waitersToWrite(), expected?: Expected): Promise<string | undefined> {
    if (this.empty && expected === undefined) return undefined;
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
    const inserted = promiseColumns(promiseInserts);
    const updated = promiseColumns(promiseUpdates);
    noteWritten(this.writtenPromises, promiseInserts, inserted);
    noteWritten(this.writtenPromises, promiseUpdates, updated);
    for (const task of tasks) this.writtenTasks.set(task.record.id, task.record);
    const columns = [
      inserted,
      updated,
      taskColumns(taskInserts),
      taskColumns(taskUpserts),
      [finished.map((f) => f.id), finished.map((f) => f.settledAt), finished.map((f) => f.purgeAt ?? null)],
      [callbacks.map(([awaited]) => awaited), callbacks.map(([, awaiter]) => awaiter)],
      [listeners.map(([awaited]) => awaited), listeners.map(([, address]) => address)],
    ];
    const present = columns.map((part) => part[0]!.length > 0);
    // One new promise and nothing else: `loneInsertStatement`.
    const lone = promiseInserts.length === 1 && present.every((has, n) => has === (n === INSERTED_PROMISES));
    const values = lone ? inserted.map((column) => column[0]) : columns.filter((_, n) => present[n]).flat();
    if (expected !== undefined) {
      values.push([...expected.promises.keys()], [...expected.promises.values()], [...expected.tasks.keys()], [...expected.tasks.values()]);
    }
    const statement = lone ? (expected !== undefined ? LONE_INSERT_VERIFIED : LONE_INSERT) : statementFor(present, expected !== undefined);
    const result = await client.query<{ updated_promises?: string[]; xid: string | null }>({ ...statement, values });
    const row = result.rows[0]!;
    // Every update follows a locking read, a verified one or this transaction's own insert, so
    // this cannot happen; were it to, the transaction has committed by now (COMMIT is pipelined,
    // a verified flush is its own transaction): say so loudly.
    const notFound = firstMissing(promiseUpdates, row.updated_promises ?? []);
    if (notFound !== undefined) throw new Error(`updatePromise: no promise ${JSON.stringify(notFound)}`);
    return row.xid ?? undefined;
  }

  /** Every promise and task this transaction has flushed, as last written (for known-rows.ts once it commits). */
  get written(): { promises: ReadonlyMap<string, WrittenPromise>; tasks: ReadonlyMap<string, TaskRecord> } {
    return { promises: this.writtenPromises, tasks: this.writtenTasks };
  }
}

/** A promise as flushed, with the length of its param and value as stored. */
export interface WrittenPromise {
  record: PromiseRecord;
  payloadChars: number;
}

function noteWritten(into: Map<string, WrittenPromise>, records: readonly PromiseRecord[], columns: unknown[][]): void {
  records.forEach((record, n) => {
    into.set(record.id, { record, payloadChars: (columns[2]![n] as string).length + (columns[3]![n] as string).length });
  });
}

/** Ten arrays, one per promise column, in PROMISE_COLUMNS order. */
function promiseColumns(promises: readonly PromiseRecord[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 10 }, () => []);
  for (const promise of promises) promiseColumnValues(promise).forEach((value, n) => columns[n]!.push(value));
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
