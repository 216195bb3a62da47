/**
 * The purchase's side effects, as a SQLite log (in a real shop: the payment provider and the
 * warehouse). Entries are keyed (order, event), so a step that runs again adds nothing.
 */
import type Database from "better-sqlite3";
import { openSqlite } from "../shared/sqlite.js";

export type PurchaseEvent = "started" | "confirmed" | "cancelled";

export interface PurchaseEntry {
  event: PurchaseEvent;
  at: number;
}

export class Purchases {
  protected constructor(protected readonly db: Database.Database) {}

  static open(path: string): Purchases {
    const db = openSqlite(path, `
      CREATE TABLE IF NOT EXISTS purchase_log (
        order_id TEXT NOT NULL,
        event    TEXT NOT NULL,
        at       INTEGER NOT NULL,
        PRIMARY KEY (order_id, event)
      )`);
    return new Purchases(db);
  }

  /** Reserve stock and authorise the payment. */
  async start(orderId: string): Promise<number> {
    return this.append(orderId, "started");
  }

  /** Capture the payment and ship. */
  async confirm(orderId: string): Promise<number> {
    return this.append(orderId, "confirmed");
  }

  /** Release the stock and void the authorisation. */
  async cancel(orderId: string): Promise<number> {
    return this.append(orderId, "cancelled");
  }

  async entries(orderId: string): Promise<PurchaseEntry[]> {
    return this.db.prepare("SELECT event, at FROM purchase_log WHERE order_id = ? ORDER BY rowid").all(orderId) as PurchaseEntry[];
  }

  async close(): Promise<void> {
    this.db.close();
  }

  protected append(orderId: string, event: PurchaseEvent): number {
    this.db.prepare("INSERT INTO purchase_log (order_id, event, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING").run(orderId, event, Date.now());
    return (this.db.prepare("SELECT at FROM purchase_log WHERE order_id = ? AND event = ?").get(orderId, event) as { at: number }).at;
  }
}
