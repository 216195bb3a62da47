/**
 * Picks the System of Record from the environment:
 *   TB_ADDRESS=3000          TigerBeetle (the real thing)
 *   LEDGER_DB=./ledger.db    the SQLite stand-in (the demo)
 *   otherwise                PostgreSQL at PG_URL (default 127.0.0.1:5432/test), schema PG_SCHEMA
 */
import type { Ledger } from "./ledger.js";
import { DEFAULT_PG_URL, PostgresLedger } from "./postgres-ledger.js";
import { SqliteLedger } from "./sqlite-ledger.js";
import { TigerBeetleLedger } from "./tigerbeetle-ledger.js";
import { redactUrl } from "../../src/observability/redact-url.js";

export async function openLedger(env: NodeJS.ProcessEnv = process.env): Promise<Ledger> {
  if (env.TB_ADDRESS) return TigerBeetleLedger.connect(env.TB_ADDRESS, BigInt(env.TB_CLUSTER_ID ?? "0"));
  if (env.LEDGER_DB) return SqliteLedger.open(env.LEDGER_DB);
  return PostgresLedger.connect({ url: env.PG_URL, schema: env.PG_SCHEMA });
}

/** One paragraph for a ledger that could not be opened: what was tried, and the ways to run without it. */
export function ledgerUnavailable(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const reason = error instanceof Error ? error.message : String(error);
  if (env.TB_ADDRESS) return `cannot reach TigerBeetle at ${env.TB_ADDRESS} (${reason}); start a replica there, or run with LEDGER_DB=./ledger.db for the SQLite stand-in`;
  if (env.LEDGER_DB) return `cannot open the SQLite ledger ${env.LEDGER_DB} (${reason})`;
  const where = redactUrl(env.PG_URL ?? DEFAULT_PG_URL);
  return [
    `cannot reach PostgreSQL at ${where}, the default ledger (${reason}).`,
    `Start PostgreSQL there (or set PG_URL), or run without it: LEDGER_DB=./ledger.db uses a SQLite stand-in ledger; TB_ADDRESS=3000 uses TigerBeetle.`,
  ].join("\n");
}
