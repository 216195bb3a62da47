/** A `Backend` over PostgreSQL: a connection pool, versioned migrations and LISTEN/NOTIFY fan-out. */
import pg from "pg";
import type { PromiseRecord } from "../../protocol/records.js";
import type { Backend, SpeculationOutcome, TransactionOptions, Tx } from "../backend.js";
import { channelFor, checkSchemaName, quoteIdentifier } from "./identifiers.js";
import { KnownRows } from "./known-rows.js";
import { migrate } from "./migrations.js";
import { openBroadcast } from "./notify.js";
import { backoffMs, isRetryable, MAX_ATTEMPTS } from "./retry.js";
import { PROMISE_COLUMNS, promiseFromRow, type PromiseRow } from "./rows.js";
import { speculate } from "./speculation.js";
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
    // Queries go out without waiting for the answer to the one before: a transaction's BEGIN
    // travels with its first reads and its COMMIT with its writes (attemptOnce).
    pipeline: true,
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
    // The rows this server last saw committed, for speculative transactions (speculation.ts).
    const known = new KnownRows();
    const speculationListeners = new Set<(outcome: SpeculationOutcome) => void>();
    const reportSpeculation = (outcome: SpeculationOutcome) => {
      for (const listener of speculationListeners) listener(outcome);
    };
    return {
      transaction: (work, transactionOptions) => transaction(pool, known, work, transactionOptions, reportSpeculation),
      onSpeculation: (listener) => {
        speculationListeners.add(listener);
        return () => void speculationListeners.delete(listener);
      },
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
 * runs again from a fresh start, so `work` must have no effects outside the transaction. Work that
 * may be speculated is first tried on the rows this server knows, in one round trip (speculation.ts).
 */
async function transaction<T>(
  pool: pg.Pool,
  known: KnownRows,
  work: (tx: Tx) => Promise<T>,
  options?: TransactionOptions,
  onSpeculation?: (outcome: SpeculationOutcome) => void,
): Promise<T> {
  if (options?.speculative) {
    // Company first: the ordinary way waits a round trip for BEGIN before the work takes its batch,
    // and whatever arrived meanwhile joins. A speculation sends nothing before deciding, so it
    // waits for the rest of this turn's callers (a caller alone: only for this turn's microtasks).
    await (options.alone ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve)));
    const speculated = await speculate(pool, known, work, onSpeculation);
    if (speculated.done) return speculated.result;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce(pool, known, work);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    }
  }
}

/**
 * One attempt, in two round trips when the work reads once and writes once (a batch of requests):
 * BEGIN is pipelined with the first reads, and COMMIT with the buffered writes. A write never
 * leaves before BEGIN has succeeded (`behindBegin`), and the writes are one statement that fails
 * as a whole (a lost race is a unique violation), so a COMMIT sent behind a failed write finds the
 * transaction aborted and rolls it back.
 */
async function attemptOnce<T>(pool: pg.Pool, known: KnownRows, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const socket = (client as unknown as pg.Client).connection.stream;
  // BEGIN and the reads `work` sends before it first waits leave in one socket write.
  socket.cork();
  const begun = client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
  // Observed below (before any write, and on every way out); this keeps an early failure handled.
  begun.catch(() => undefined);
  const gate = behindBegin(client, begun);
  try {
    try {
      const tx = new PostgresTx(gate.client);
      let working: Promise<T>;
      try {
        working = work(tx);
      } finally {
        socket.uncork();
      }
      const result = await working;
      await begun;
      gate.open();
      socket.cork();
      const ending = Promise.allSettled([tx.flush(), client.query("COMMIT")]);
      socket.uncork();
      const [flushed, committed] = await ending;
      if (flushed.status === "rejected") throw flushed.reason;
      if (committed.status === "rejected") throw committed.reason;
      known.learn(tx.seen());
      return result;
    } catch (error) {
      try {
        // Also what ends a transaction whose BEGIN failed, or whose COMMIT already rolled it back:
        // PostgreSQL only warns then.
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

/**
 * The connection as a transaction's statements see it: a plain read (SELECT) goes out at once,
 * pipelined behind BEGIN, since a read that lands outside a transaction (BEGIN failed) changes
 * nothing and the attempt fails before it writes; any other statement waits for BEGIN's answer
 * until `open` says it has come.
 */
function behindBegin(client: pg.PoolClient, begun: Promise<unknown>): { client: pg.PoolClient; open(): void } {
  let confirmed = false;
  const query = client.query.bind(client) as (config: string | pg.QueryConfig, values?: unknown[]) => Promise<pg.QueryResult>;
  const gated = Object.create(client) as pg.PoolClient;
  gated.query = ((config: string | pg.QueryConfig, values?: unknown[]) => {
    if (confirmed || /^\s*SELECT\b/i.test(typeof config === "string" ? config : config.text)) return query(config, values);
    return begun.then(() => query(config, values));
  }) as pg.PoolClient["query"];
  return {
    client: gated,
    open: () => {
      confirmed = true;
    },
  };
}

async function readPromise(pool: pg.Pool, id: string): Promise<PromiseRecord | undefined> {
  const result = await pool.query<PromiseRow>(`SELECT ${PROMISE_COLUMNS} FROM promises WHERE id = $1`, [id]);
  const [row] = result.rows;
  return row && promiseFromRow(row);
}
