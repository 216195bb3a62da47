/**
 * The promise and task rows this connection last read or wrote, kept across transactions, so a
 * workflow's task and root promise are not read again at each of its steps.
 *
 * What a transaction reads or writes becomes visible here only once its COMMIT succeeded: until
 * then it is an entry of `pending`, replayed in order at the commit and dropped on any failure.
 * A write also evicts its row at once, so a read later in the same transaction goes to SQLite
 * (which shows the transaction its own writes) rather than to a row it has since changed.
 *
 * Other connections (another process on the file, `reprise` on the command line, a second store
 * in this process) change rows behind our back: `PRAGMA data_version` changes when any other
 * connection commits, so each transaction checks it once it holds the write lock and forgets
 * everything if it moved. While we hold the lock, nobody else can commit.
 */
import type Database from "better-sqlite3";
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";

/** Rows kept per table; the longest unwritten go first. Bounds memory with 100,000 executions alive. */
export const COMMITTED_ROWS_PER_TABLE = 8192;

type Change = { table: RowMap<PromiseRecord> | RowMap<TaskRecord>; id: string; row: PromiseRecord | TaskRecord | undefined };

export class CommittedRows {
  readonly promises = new RowMap<PromiseRecord>();
  readonly tasks = new RowMap<TaskRecord>();
  /** What the open transaction read and wrote, in order; applied only at its commit. */
  private pending: Change[] = [];
  private dataVersion: number | undefined;
  private readonly versionStatement: Database.Statement;

  constructor(db: Database.Database) {
    this.versionStatement = db.prepare("PRAGMA data_version").pluck();
  }

  /** The transaction holds the write lock: forget every row if another connection committed since the last one. */
  began(): void {
    const version = this.versionStatement.get() as number;
    if (version !== this.dataVersion) {
      this.promises.clear();
      this.tasks.clear();
      this.dataVersion = version;
    }
    this.pending = [];
  }

  committed(): void {
    for (const change of this.pending) (change.table as RowMap<PromiseRecord | TaskRecord>).put(change.id, change.row);
    this.pending = [];
  }

  /**
   * A job rolled back to its savepoint, or the whole transaction failed: what was noted so far is
   * dropped (the jobs before it that stay committed only lose their rows' place here). What later
   * jobs read or write is noted as usual: they see the file as it is after the rollback.
   */
  abandoned(): void {
    this.pending = [];
  }

  /** A row as read inside the open transaction (undefined: there is none). */
  readPromise(id: string, row: PromiseRecord | undefined): void {
    if (row !== undefined) this.note(this.promises, id, row);
  }

  readTask(id: string, row: TaskRecord | undefined): void {
    if (row !== undefined) this.note(this.tasks, id, row);
  }

  /** A row written (or, with undefined, deleted) inside the open transaction. */
  wrotePromise(id: string, row: PromiseRecord | undefined): void {
    this.promises.delete(id);
    this.note(this.promises, id, row);
  }

  /**
   * A promise created already settled (a step's result): it is read again only by a replay, which
   * reads its execution's range, so it is not kept. Only an earlier row of the id is forgotten.
   */
  wroteSettledStep(id: string): void {
    this.promises.delete(id);
    this.note(this.promises, id, undefined);
  }

  wroteTask(id: string, row: TaskRecord | undefined): void {
    this.tasks.delete(id);
    this.note(this.tasks, id, row);
  }

  private note<R extends PromiseRecord | TaskRecord>(table: RowMap<R>, id: string, row: R | undefined): void {
    this.pending.push({ table: table as Change["table"], id, row });
  }
}

/**
 * A Map bounded to COMMITTED_ROWS_PER_TABLE entries, the one written longest ago evicted first. A
 * read does not reorder (that costs a delete and a set per hit); the rows worth keeping (a running
 * execution's task and root) are written again as it moves, and go back to the end.
 */
export class RowMap<R> {
  private readonly rows = new Map<string, R>();

  get(id: string): R | undefined {
    return this.rows.get(id);
  }

  put(id: string, row: R | undefined): void {
    this.rows.delete(id);
    if (row === undefined) return;
    this.rows.set(id, row);
    if (this.rows.size > COMMITTED_ROWS_PER_TABLE) this.rows.delete(this.rows.keys().next().value as string);
  }

  delete(id: string): void {
    this.rows.delete(id);
  }

  clear(): void {
    this.rows.clear();
  }

  get size(): number {
    return this.rows.size;
  }
}
