/**
 * A `Backend` on one SQLite file (better-sqlite3). WAL journal, so readers never block the
 * writer; busy_timeout, so several processes can share the file (each write transaction takes the
 * file's write lock with BEGIN IMMEDIATE and waits for it rather than failing); group commit, so
 * concurrent callers in this process share one COMMIT.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { NOT_NOW, type Backend, type TransactionOptions, type Tx } from "../backend.js";
import { DEFAULT_DURABILITY, sqliteSynchronous, type Durability } from "../durability.js";
import { CommittedRows } from "./committed-rows.js";
import { GroupCommit } from "./group-commit.js";
import { OtherCommits } from "./other-commits.js";
import { migrate } from "./schema.js";
import { SqliteTx } from "./sqlite-tx.js";
import { StatementCache } from "./statement-cache.js";
import { presizeWal } from "./wal-size.js";

export interface SqliteBackendOptions {
  /** What an acknowledged commit survives (src/store/durability.ts). Default "power-loss". */
  durability?: Durability;
  /**
   * @deprecated Use `durability`: FULL is "power-loss", NORMAL is "process-crash". When given,
   * it overrides `durability`.
   */
  synchronous?: "NORMAL" | "FULL";
  /** How long a write waits for another process's write lock before failing. Default 5 s. */
  busyTimeoutMs?: number;
  /** Most transactions committed together. Default 256. */
  maxBatch?: number;
}

export const SQLITE_DEFAULTS = { durability: DEFAULT_DURABILITY, busyTimeoutMs: 5_000, maxBatch: 256 } as const;

export function openSqliteBackend(path: string, options: SqliteBackendOptions = {}): Backend {
  const synchronous = options.synchronous ?? sqliteSynchronous(options.durability ?? SQLITE_DEFAULTS.durability);
  if (synchronous !== "NORMAL" && synchronous !== "FULL") throw new Error(`synchronous: expected NORMAL or FULL, got ${String(synchronous)}`);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs))}`);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous}`);
    migrate(db);
    // Only commits that fsync pay for a growing log (see wal-size.ts).
    if (synchronous === "FULL") presizeWal(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteBackend(db, options.maxBatch ?? SQLITE_DEFAULTS.maxBatch);
}

class SqliteBackend implements Backend {
  private readonly tx: Tx;
  private readonly commits: GroupCommit;
  private readonly otherCommits: OtherCommits;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    maxBatch: number,
  ) {
    const committed = new CommittedRows(db);
    this.tx = new SqliteTx(new StatementCache(db), committed);
    this.commits = new GroupCommit(db, Math.max(1, maxBatch), committed);
    this.otherCommits = new OtherCommits(db);
  }

  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.closed) return Promise.reject(new Error("Backend is closed"));
    return this.commits.run(() => work(this.tx), options?.alone === true);
  }

  transactionNow<T>(work: (tx: Tx) => T | undefined): T | undefined | typeof NOT_NOW {
    if (this.closed) return NOT_NOW;
    return this.commits.runNow(() => work(this.tx));
  }

  onOtherCommits(listener: () => void): () => void {
    return this.otherCommits.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.otherCommits.close();
    await this.commits.idle();
    this.db.close();
  }
}
