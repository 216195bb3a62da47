/**
 * A stand-in System of Record on SQLite, for the demo (no PostgreSQL or TigerBeetle needed). It
 * keeps the same create_accounts contract as the PostgreSQL ledger; do not use it as a real ledger.
 */
import type Database from "better-sqlite3";
import { openSqlite } from "../shared/sqlite.js";
import { compareExisting, toLedgerResult, validate, type CreateAccountResultName, type Ledger, type LedgerAccount, type LedgerResult } from "./ledger.js";

export class SqliteLedger implements Ledger {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string): SqliteLedger {
    const db = openSqlite(path, `
      CREATE TABLE IF NOT EXISTS ledger_accounts (
        id     TEXT PRIMARY KEY,   -- u128 in decimal
        ledger INTEGER NOT NULL,
        code   INTEGER NOT NULL,
        flags  INTEGER NOT NULL
      )`);
    return new SqliteLedger(db);
  }

  async createAccount(account: LedgerAccount): Promise<LedgerResult> {
    return toLedgerResult(this.createOne(account));
  }

  async lookupAccount(id: bigint): Promise<LedgerAccount | undefined> {
    const row = this.db.prepare("SELECT ledger, code, flags FROM ledger_accounts WHERE id = ?").get(id.toString()) as
      | Omit<LedgerAccount, "id">
      | undefined;
    return row && { id, ...row };
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private createOne(account: LedgerAccount): CreateAccountResultName {
    const invalid = validate(account);
    if (invalid) return invalid;
    const inserted = this.db
      .prepare("INSERT INTO ledger_accounts (id, ledger, code, flags) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
      .run(account.id.toString(), account.ledger, account.code, account.flags);
    if (inserted.changes === 1) return "ok";
    const existing = this.db.prepare("SELECT ledger, code, flags FROM ledger_accounts WHERE id = ?").get(account.id.toString()) as Omit<
      LedgerAccount,
      "id"
    >;
    return compareExisting(existing, account);
  }
}
