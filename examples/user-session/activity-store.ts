/**
 * The activity store: an append-only SQLite log of what happened in each session. Every entry has
 * a deterministic key (login, activity-3, cleanup), so a step that runs again after a crash
 * appends nothing new.
 */
import type Database from "better-sqlite3";
import { openSqlite } from "../shared/sqlite.js";

export interface Activity {
  kind: string;
  /** When the user did it (ms since the epoch), as the sender saw it. */
  at: number;
}

export interface LogEntry {
  entry: string;
  kind: string;
  at: number;
}

export class ActivityStore {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string): ActivityStore {
    const db = openSqlite(path, `
      CREATE TABLE IF NOT EXISTS session_log (
        user  TEXT NOT NULL,
        entry TEXT NOT NULL,      -- login | activity-<n> | cleanup
        kind  TEXT NOT NULL,
        at    INTEGER NOT NULL,
        PRIMARY KEY (user, entry)
      )`);
    return new ActivityStore(db);
  }

  /** Returns when the login was recorded (the first time). */
  async login(user: string): Promise<number> {
    return this.append(user, "login", "login", Date.now());
  }

  async recordActivity(user: string, n: number, activity: Activity): Promise<number> {
    return this.append(user, `activity-${n}`, activity.kind, activity.at);
  }

  /** Ends the session: here a log entry; in an app, revoking tokens, flushing analytics. */
  async cleanup(user: string): Promise<number> {
    return this.append(user, "cleanup", "cleanup", Date.now());
  }

  async entries(user: string): Promise<LogEntry[]> {
    return this.db.prepare("SELECT entry, kind, at FROM session_log WHERE user = ? ORDER BY rowid").all(user) as LogEntry[];
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private append(user: string, entry: string, kind: string, at: number): number {
    this.db.prepare("INSERT INTO session_log (user, entry, kind, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING").run(user, entry, kind, at);
    const stored = this.db.prepare("SELECT at FROM session_log WHERE user = ? AND entry = ?").get(user, entry) as { at: number };
    return stored.at;
  }
}
