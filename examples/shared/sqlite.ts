/** The examples' own SQLite files (their side-effect stores): WAL, and the tables they need. */
import Database from "better-sqlite3";

export function openSqlite(path: string, schema: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(schema);
  return db;
}
