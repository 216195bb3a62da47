/** Prepares each distinct SQL text once per connection. */
import type Database from "better-sqlite3";

/**
 * A bound row limit. Plain `LIMIT ?` lets SQLite's planner use the value, so every new binding
 * re-prepares the statement: 5 µs more per call (8 µs instead of 3 for a preload's empty range).
 * Through CAST the value is an expression the plan does not depend on.
 */
export const LIMIT = "LIMIT CAST(? AS INTEGER)";

export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly rawStatements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * A statement whose rows come back as arrays of column values: better-sqlite3 builds a row
   * object property by property, a third of a primary-key read's cost. Its SQL names its columns.
   */
  raw(sql: string): Database.Statement {
    let statement = this.rawStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql).raw(true);
      this.rawStatements.set(sql, statement);
    }
    return statement;
  }
}
