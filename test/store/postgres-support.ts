/**
 * Shared by the PostgreSQL tests: where the database is, whether to run, and a throwaway schema per test.
 * Tests skip only when PostgreSQL is unreachable and REPRISE_REQUIRE_PG is unset (CI sets it).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, beforeEach } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";

export const PG_URL = process.env.REPRISE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when the PostgreSQL tests should run; throws if they must run and cannot. */
export async function postgresAvailable(): Promise<boolean> {
  if (await reachable(PG_URL)) return true;
  if (process.env.REPRISE_REQUIRE_PG) {
    throw new Error(`REPRISE_REQUIRE_PG is set but PostgreSQL is unreachable at ${PG_URL}`);
  }
  console.warn(`PostgreSQL unreachable at ${PG_URL}: skipping PostgreSQL tests (set REPRISE_REQUIRE_PG=1 to fail instead)`);
  return false;
}

export function freshSchemaName(): string {
  return `reprise_test_${randomBytes(6).toString("hex")}`;
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

/** Two servers on one schema: per test, two stores opened on a fresh schema, closed and the schema dropped after it. */
export interface TwoServers {
  schema: string;
  servers: Store[];
}

/** Registers the hooks that open and close `TwoServers` around each test of the calling `describe`. */
export function twoServersPerTest(): TwoServers {
  const two: TwoServers = { schema: "", servers: [] };
  beforeEach(async () => {
    two.schema = freshSchemaName();
    two.servers = await Promise.all([openStore(PG_URL, { postgres: { schema: two.schema } }), openStore(PG_URL, { postgres: { schema: two.schema } })]);
  });
  afterEach(async () => {
    await Promise.all(two.servers.map((store) => store.close()));
    await dropSchema(two.schema);
  });
  return two;
}

/** A promise and the functions that settle it (Node 20 has no Promise.withResolvers). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
