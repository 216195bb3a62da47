/**
 * PostgreSQL for the example tests: a throwaway schema per test, on the same helpers the store
 * tests use. When PostgreSQL is unreachable the tests say so and skip, unless REPRISE_REQUIRE_PG
 * is set (CI), which makes them fail instead.
 */
import { randomBytes } from "node:crypto";
import { postgresAvailable } from "../store/postgres-support.js";

export { PG_URL, dropSchema } from "../store/postgres-support.js";

export const postgresReachable = postgresAvailable;

export function freshSchema(): string {
  return `reprise_example_${randomBytes(5).toString("hex")}`;
}
