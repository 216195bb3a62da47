/**
 * The systems an order's transitions touch — customer notifications, the warehouse's shipments,
 * the payment provider's refunds — as SQLite tables. Every row has a deterministic id (INSERT
 * OR IGNORE), so a transition step that runs again after a crash changes nothing.
 */
import type Database from "better-sqlite3";
import { openSqlite } from "../shared/sqlite.js";

export interface Notification {
  id: string;
  state: string;
  at: number;
}

export class OrderSystems {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string): OrderSystems {
    const db = openSqlite(path, `
      CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS shipments (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS refunds (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, at INTEGER NOT NULL);`);
    return new OrderSystems(db);
  }

  /** Tells the customer the order is now in `state`. */
  async notify(orderId: string, state: string): Promise<string> {
    const id = `${orderId}:${state}`;
    this.db.prepare("INSERT OR IGNORE INTO notifications (id, order_id, state, at) VALUES (?, ?, ?, ?)").run(id, orderId, state, Date.now());
    return id;
  }

  async createShipment(orderId: string): Promise<string> {
    const id = `shipment-${orderId}`;
    this.db.prepare("INSERT OR IGNORE INTO shipments (id, order_id, at) VALUES (?, ?, ?)").run(id, orderId, Date.now());
    return id;
  }

  async refund(orderId: string): Promise<string> {
    const id = `refund-${orderId}`;
    this.db.prepare("INSERT OR IGNORE INTO refunds (id, order_id, at) VALUES (?, ?, ?)").run(id, orderId, Date.now());
    return id;
  }

  /** Every row the order has caused, for tests and the demo: notifications in order, then the rest. */
  async effectsOf(orderId: string): Promise<string[]> {
    const notifications = this.db.prepare("SELECT id FROM notifications WHERE order_id = ? ORDER BY rowid").all(orderId) as Array<{ id: string }>;
    const shipments = this.db.prepare("SELECT id FROM shipments WHERE order_id = ?").all(orderId) as Array<{ id: string }>;
    const refunds = this.db.prepare("SELECT id FROM refunds WHERE order_id = ?").all(orderId) as Array<{ id: string }>;
    return [...notifications, ...shipments, ...refunds].map((row) => row.id);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
