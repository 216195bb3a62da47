/**
 * The default System of Record: a PostgreSQL table that keeps TigerBeetle's create_accounts
 * contract (u128 ids, ledger, code, flags; results ok / exists / exists_with_different_*), so the
 * workflow runs unchanged against TigerBeetle. Each schema gets its own table (tests use one each).
 */
import pg from "pg";
import { compareExisting, toLedgerResult, validate, type CreateAccountResultName, type Ledger, type LedgerAccount, type LedgerResult } from "./ledger.js";

export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

export class PostgresLedger implements Ledger {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly table: string,
  ) {}

  /** Connects and creates the schema and table if they are missing. */
  static async connect({ url = DEFAULT_PG_URL, schema = "reprise_examples" }: { url?: string; schema?: string } = {}): Promise<PostgresLedger> {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const ledger = new PostgresLedger(pool, `"${schema}".ledger_accounts`);
    await ledger.migrate(schema);
    return ledger;
  }

  async createAccount(account: LedgerAccount): Promise<LedgerResult> {
    const [result] = await this.createAccounts([account]);
    return toLedgerResult(result!);
  }

  /** TigerBeetle's create_accounts: one result per account, in order; never throws for a conflict. */
  async createAccounts(accounts: LedgerAccount[]): Promise<CreateAccountResultName[]> {
    const results: CreateAccountResultName[] = [];
    for (const account of accounts) results.push(await this.createOne(account));
    return results;
  }

  async lookupAccount(id: bigint): Promise<LedgerAccount | undefined> {
    const { rows } = await this.pool.query<{ id: string; ledger: number; code: number; flags: number }>(
      `SELECT id::text AS id, ledger, code, flags FROM ${this.table} WHERE id = $1`,
      [id.toString()],
    );
    const row = rows[0];
    return row && { id: BigInt(row.id), ledger: row.ledger, code: row.code, flags: row.flags };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async createOne(account: LedgerAccount): Promise<CreateAccountResultName> {
    const invalid = validate(account);
    if (invalid) return invalid;
    const inserted = await this.pool.query(
      `INSERT INTO ${this.table} (id, ledger, code, flags) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
      [account.id.toString(), account.ledger, account.code, account.flags],
    );
    if (inserted.rowCount === 1) return "ok";
    const existing = await this.lookupAccount(account.id);
    if (!existing) throw new Error(`account ${account.id} conflicted on insert but cannot be read back`);
    return compareExisting(existing, account);
  }

  private async migrate(schema: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // Two processes starting at once must not race on CREATE SCHEMA.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`reprise-example-ledger:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${this.table} (
          id         NUMERIC(39, 0) PRIMARY KEY,
          ledger     INTEGER NOT NULL,
          code       INTEGER NOT NULL,
          flags      INTEGER NOT NULL,
          created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}
