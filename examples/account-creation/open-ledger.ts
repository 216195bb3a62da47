/**
 * Picks the System of Record from the environment:
 *   TB_ADDRESS=3000          TigerBeetle (the real thing)
 *   LEDGER_DB=./ledger.db    the SQLite stand-in (the demo)
 *   otherwise                PostgreSQL at PG_URL (default 127.0.0.1:5432/test), schema PG_SCHEMA
 */
import type { Ledger } from "./ledger.js";
import { PostgresLedger } from "./postgres-ledger.js";
import { SqliteLedger } from "./sqlite-ledger.js";
import { TigerBeetleLedger } from "./tigerbeetle-ledger.js";

export async function openLedger(env: NodeJS.ProcessEnv = process.env): Promise<Ledger> {
  if (env.TB_ADDRESS) return TigerBeetleLedger.connect(env.TB_ADDRESS, BigInt(env.TB_CLUSTER_ID ?? "0"));
  if (env.LEDGER_DB) return SqliteLedger.open(env.LEDGER_DB);
  return PostgresLedger.connect({ url: env.PG_URL, schema: env.PG_SCHEMA });
}
