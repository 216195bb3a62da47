/** A `Backend` over PostgreSQL: a connection pool, versioned migrations and LISTEN/NOTIFY fan-out. */
import pg from "pg";
import type { PromiseRecord } from "../../protocol/records.js";
import type { Backend, Tx } from "../backend.js";
import { channelFor, checkSchemaName, quoteIdentifier } from "./identifiers.js";
import { migrate } from "./migrations.js";
import { openBroadcast } from "./notify.js";
import { backoffMs, isRetryable, MAX_ATTEMPTS } from "./retry.js";
import { PROMISE_COLUMNS, promiseFromRow, type PromiseRow } from "./rows.js";
import { PostgresTx } from "./tx.js";

export interface PostgresBackendOptions {
  /** Schema holding Reprise's tables; created if missing. Default `public`. */
  schema?: string;
  /** Most connections the pool opens (the LISTEN connection is one more). Default 10. */
  poolSize?: number;
}

export async function openPostgresBackend(url: string, options: PostgresBackendOptions = {}): Promise<Backend> {
  const schema = checkSchemaName(options.schema ?? "public");
  // application_name shows up in pg_stat_activity; a name in the url takes precedence.
  const connection: pg.ClientConfig = { connectionString: url, application_name: `reprise ${schema}` };
  const pool = new pg.Pool({
    ...connection,
    max: options.poolSize ?? 10,
    // Every pooled connection resolves table names in our schema, before its first query.
    onConnect: async (client) => {
      await client.query(`SET search_path TO ${quoteIdentifier(schema)}`);
    },
  });
  // An idle connection that dies emits here; the pool discards it and later checkouts reconnect.
  pool.on("error", () => undefined);

  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
    const broadcast = await openBroadcast({
      connection,
      pool,
      channel: channelFor(schema),
      readPromise: (id) => readPromise(pool, id),
    });
    return {
      transaction: (work) => transaction(pool, work),
      broadcast: { publish: (envelopes) => broadcast.publish(envelopes), subscribe: (listener) => broadcast.subscribe(listener) },
      close: async () => {
        await broadcast.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/**
 * Runs `work` in one READ COMMITTED transaction on one connection. When it loses a race to a
 * concurrent transaction (duplicate insert, deadlock, serialization failure) the whole of `work`
 * runs again from a fresh start, so `work` must have no effects outside the transaction.
 */
async function transaction<T>(pool: pg.Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce(pool, work);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    }
  }
}

async function attemptOnce<T>(pool: pg.Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
    try {
      const tx = new PostgresTx(client);
      const result = await work(tx);
      await tx.flush();
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        // A connection that cannot roll back is not returned to the pool.
        broken = rollbackError as Error;
      }
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

async function readPromise(pool: pg.Pool, id: string): Promise<PromiseRecord | undefined> {
  const result = await pool.query<PromiseRow>(`SELECT ${PROMISE_COLUMNS} FROM promises WHERE id = $1`, [id]);
  const [row] = result.rows;
  return row && promiseFromRow(row);
}
