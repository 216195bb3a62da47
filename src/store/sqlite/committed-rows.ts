/**
 * The promise and task rows this connection last read or wrote, kept across transactions, so a
 * workflow's task and root promise are not read again at each of its steps.
 *
 * A row the open transaction has not written is read as committed, so it is kept at once. A row
 * it writes is evicted at once (a read later in the same transaction goes to SQLite, which shows
 * the transaction its own writes) and kept only once the COMMIT succeeded: until then it is an
 * entry of `pending`, dropped on any failure. Reads of a row the transaction wrote are not kept.
 *
 * Other connections (another process on the file, `reprise` on the command line, a second store
 * in this process) change rows behind our back: `PRAGMA data_version` changes when any other
 * connection commits, so each transaction checks it once it holds the write lock and forgets
 * everything if it moved. While we hold the lock, nobody else can commit.
 */
import type Database from "better-sqlite3";
import type { PromiseRecord, TaskRecord } from "../../protocol/records.js";
import { RecentMap } from "../recent-map.js";

/**
 * Rows kept per table at least (RecentMap keeps up to twice as many); the longest unwritten go first.
 * Bounds memory with 100,000 executions alive.
 * Twice the executions a process runs at once by default (10,000, sdk/admission.ts): a restart
 * that resumes that many touches each one's task and root in turn, and a cycle over more rows
 * than are kept, oldest evicted first, would miss every time.
 */
export const COMMITTED_ROWS_PER_TABLE = 20_000;

export class CommittedRows {
  readonly promises = new Kept<PromiseRecord>();
  readonly tasks = new Kept<TaskRecord>();
  private dataVersion: number | undefined;
  private readonly versionStatement: Database.Statement;

  constructor(db: Database.Database) {
    this.versionStatement = db.prepare("PRAGMA data_version").pluck();
  }

  /** The transaction holds the write lock: forget every row if another connection committed since the last one. */
  began(): void {
    const version = this.versionStatement.get() as number;
    const othersCommitted = version !== this.dataVersion;
    this.dataVersion = version;
    this.promises.began(othersCommitted);
    this.tasks.began(othersCommitted);
  }

  committed(): void {
    this.promises.committed();
    this.tasks.committed();
  }

  /**
   * A job rolled back to its savepoint, or the whole transaction failed: the writes noted so far
   * are dropped (the jobs before it that stay committed only lose their rows' place here). Their
   * ids stay marked as written, so later reads of them in this transaction are not kept either.
   */
  abandoned(): void {
    this.promises.abandoned();
    this.tasks.abandoned();
  }
}

/** What a read by id needs of one table's kept rows. */
export interface KeptRows<R> {
  get(id: string): R | undefined;
  /** A row as read inside the open transaction (undefined: there is none). */
  read(id: string, row: R | undefined): void;
}

/** One table's kept rows, and what the open transaction wrote to it. */
class Kept<R> implements KeptRows<R> {
  private readonly rows = new RecentMap<R>(COMMITTED_ROWS_PER_TABLE);
  /** Ids the open transaction wrote: its reads of them may show uncommitted rows. */
  private readonly written = new Set<string>();
  /** The open transaction's writes, in order (undefined: deleted); kept only at its commit. */
  private pending: [id: string, row: R | undefined][] = [];

  get(id: string): R | undefined {
    return this.rows.get(id);
  }

  /** A row as read inside the open transaction (undefined: there is none). */
  read(id: string, row: R | undefined): void {
    if (row !== undefined && !this.written.has(id)) this.rows.set(id, row);
  }

  /**
   * A row inserted inside the open transaction that is not worth keeping (a step's settled
   * record): it was missing, so nothing kept is to forget; only its reads are not to be kept.
   */
  insertedUnkept(id: string): void {
    this.written.add(id);
  }

  /** A row written (undefined: deleted, or not worth keeping) inside the open transaction. */
  wrote(id: string, row: R | undefined): void {
    this.rows.delete(id);
    this.written.add(id);
    this.pending.push([id, row]);
  }

  began(othersCommitted: boolean): void {
    if (othersCommitted) this.rows.clear();
    this.written.clear();
    this.pending = [];
  }

  committed(): void {
    for (const [id, row] of this.pending) {
      if (row === undefined) this.rows.delete(id);
      else this.rows.set(id, row);
    }
    this.pending = [];
  }

  abandoned(): void {
    this.pending = [];
  }
}
