/**
 * The System of Reference: the application's own SQLite table mapping a user-facing uuid to the
 * ledger's account id (guid). UNIQUE on uuid makes the write idempotent: a second write of the
 * same uuid reads the stored guid back and says whether it is the same one.
 */
import type Database from "better-sqlite3";
import { openSqlite } from "../shared/sqlite.js";
import type { LedgerResult } from "./ledger.js";

export interface AccountReference {
  uuid: string;
  guid: string;
}

export class SystemOfReference {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string): SystemOfReference {
    const db = openSqlite(path, "CREATE TABLE IF NOT EXISTS accounts (uuid TEXT NOT NULL UNIQUE, guid TEXT NOT NULL)");
    return new SystemOfReference(db);
  }

  /** created, exists_same (this uuid already maps to this guid) or exists_diff (to another guid). */
  async createAccount(uuid: string, guid: string): Promise<LedgerResult> {
    const inserted = this.db.prepare("INSERT INTO accounts (uuid, guid) VALUES (?, ?) ON CONFLICT (uuid) DO NOTHING").run(uuid, guid);
    if (inserted.changes === 1) return "created";
    const existing = await this.findAccount(uuid);
    return existing?.guid === guid ? "exists_same" : "exists_diff";
  }

  async findAccount(uuid: string): Promise<AccountReference | undefined> {
    return this.db.prepare("SELECT uuid, guid FROM accounts WHERE uuid = ?").get(uuid) as AccountReference | undefined;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
