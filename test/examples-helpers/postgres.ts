/**
 * PostgreSQL for the example tests: a throwaway schema per test. The examples need PostgreSQL
 * (the default ledger); when it is unreachable the tests say so and skip, unless
 * REPRISE_REQUIRE_PG is set (CI), which makes them fail instead.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_URL = process.env.REPRISE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return true;
  } catch {
    if (process.env.REPRISE_REQUIRE_PG) throw new Error(`REPRISE_REQUIRE_PG is set but PostgreSQL is unreachable at ${PG_URL}`);
    console.warn(`PostgreSQL unreachable at ${PG_URL}: skipping the tests that need it`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export function freshSchema(): string {
  return `reprise_example_${randomBytes(5).toString("hex")}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
