/** The store conformance suite over PostgreSQL, each test in a schema of its own, dropped afterwards. */
import { describe, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { describeStoreConformance } from "./conformance.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

if (await postgresAvailable()) {
  describeStoreConformance("postgres", async () => {
    const schema = freshSchemaName();
    return { store: await openStore(PG_URL, { postgres: { schema } }), cleanup: () => dropSchema(schema) };
  });
} else {
  describe.skip("postgres store conformance (PostgreSQL unreachable)", () => {
    it.skip("needs PostgreSQL", () => undefined);
  });
}
