/**
 * What this process last saw committed of the promises and tasks it works on, each row with its
 * revision: PostgreSQL's `xmin`, the id of the transaction that wrote that version of the row. A
 * speculative transaction (speculation.ts) decides from these rows without reading them, and its
 * one statement checks at commit that every row it relied on still has the revision it was read at.
 *
 * Only a guess, never trusted: a row changed since (by another server, or by this one in an order
 * the cache did not see) fails that check and the transaction runs again the ordinary way. So
 * nothing here is ever invalidated for correctness; it is bounded in size, and in age because a
 * 32-bit `xmin` repeats after four billion transactions, which no entry lives long enough to see.
 */
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";
import type { WrittenPromise } from "./write-behind.js";
import { RecentMap } from "../recent-map.js";

export interface KnownRow<R> {
  record: R;
  /** `xmin` of the row version `record` is, as text. */
  rev: string;
}

/** A row as read by id, with its `xmin` as text. */
export type Revised<Row> = Row & { rev: string };

/** The rows a transaction read by id, each at the version it read. */
export interface ReadRows {
  promises: Map<string, KnownRow<PromiseRecord> & { payloadChars: number }>;
  tasks: Map<string, KnownRow<TaskRecord>>;
}

/** What one transaction read and wrote of promises and tasks, learnt from once it has committed. */
export interface SeenRows {
  /** Absent: nothing read that it did not know already. */
  read?: ReadRows;
  written: { promises: ReadonlyMap<string, WrittenPromise>; tasks: ReadonlyMap<string, TaskRecord> };
  /** The transaction's id: the revision of every row it wrote (absent when it wrote nothing). */
  xid: string | undefined;
  /** Deleted promises (with their tasks), by id and by id prefix. */
  deleted?: { ids: ReadonlySet<string>; prefixes: readonly string[] };
}

interface Entry<R> extends KnownRow<R> {
  at: number;
}

export interface KnownRowsOptions {
  /** Rows kept per table at least (RecentMap: at most twice as many); the oldest remembered go first. */
  capacity?: number;
  /** Rows remembered longer ago than this are not used. */
  maxAgeMs?: number;
  now?: () => number;
}

/** Rows of running executions (their roots and tasks), not payloads: a larger promise is not kept. */
const MAX_KEPT_PAYLOAD_CHARS = 4096;

export class KnownRows {
  private readonly promises: RecentMap<Entry<PromiseRecord>>;
  private readonly tasks: RecentMap<Entry<TaskRecord>>;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: KnownRowsOptions = {}) {
    const capacity = options.capacity ?? 5000;
    this.promises = new RecentMap(capacity);
    this.tasks = new RecentMap(capacity);
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  promise(id: string): KnownRow<PromiseRecord> | undefined {
    return this.fresh(this.promises, id);
  }

  task(id: string): KnownRow<TaskRecord> | undefined {
    return this.fresh(this.tasks, id);
  }

  /**
   * Remembers a committed promise row. Only pending ones are kept: what a running execution's
   * writes read again is its own root; a settled promise is read again only by a replay.
   * `payloadChars` is the length of its param and value as stored.
   */
  rememberPromise(record: PromiseRecord, rev: string, payloadChars: number): void {
    if (record.state !== "pending" || payloadChars > MAX_KEPT_PAYLOAD_CHARS) this.promises.delete(record.id);
    else this.remember(this.promises, record, rev);
  }

  rememberTask(record: TaskRecord, rev: string): void {
    this.remember(this.tasks, record, rev);
  }

  /** Takes in what a committed transaction read and wrote: the rows as they are now, at their revisions. */
  learn(seen: SeenRows): void {
    const gone = (id: string) => seen.deleted !== undefined && (seen.deleted.ids.has(id) || seen.deleted.prefixes.some((prefix) => id.startsWith(prefix)));
    for (const [id, row] of seen.read?.promises ?? []) {
      if (!seen.written.promises.has(id) && !gone(id)) this.rememberPromise(row.record, row.rev, row.payloadChars);
    }
    for (const [id, row] of seen.read?.tasks ?? []) if (!seen.written.tasks.has(id) && !gone(id)) this.rememberTask(row.record, row.rev);
    const xid = seen.xid;
    if (xid === undefined) return;
    for (const [id, row] of seen.written.promises) if (!gone(id)) this.rememberPromise(row.record, xid, row.payloadChars);
    for (const [id, task] of seen.written.tasks) if (!gone(id)) this.rememberTask(task, xid);
    if (seen.deleted !== undefined) for (const id of seen.deleted.ids) this.forget(id);
  }

  /** Forgets what is known of id (its promise and its task), e.g. after it was deleted or found changed. */
  forget(id: string): void {
    this.promises.delete(id);
    this.tasks.delete(id);
  }

  get size(): { promises: number; tasks: number } {
    return { promises: this.promises.size, tasks: this.tasks.size };
  }

  private fresh<R>(rows: RecentMap<Entry<R>>, id: string): KnownRow<R> | undefined {
    const entry = rows.get(id);
    if (entry === undefined) return undefined;
    if (this.now() - entry.at <= this.maxAgeMs) return entry;
    rows.delete(id);
    return undefined;
  }

  private remember<R extends { id: string }>(rows: RecentMap<Entry<R>>, record: R, rev: string): void {
    rows.set(record.id, { record, rev, at: this.now() });
  }
}
