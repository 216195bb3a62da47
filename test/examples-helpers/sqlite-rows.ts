/** What an example's SQLite file holds, read as a test observes it: readonly, closed again at once. */
import Database from "better-sqlite3";

export function readRows<Row>(path: string, sql: string, ...params: unknown[]): Row[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Row[];
  } finally {
    db.close();
  }
}
