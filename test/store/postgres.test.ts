/** The store conformance suite over PostgreSQL, each test in a schema of its own, dropped afterwards. */
import { describe, it } from "vitest";
import { ProtocolStore } from "../../src/store/index.js";
import { openPostgresBackend } from "../../src/store/postgres/index.js";
import { describeStoreConformance } from "./conformance.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

if (await postgresAvailable()) {
  describeStoreConformance("postgres", async (wrap = (backend) => backend) => {
    const schema = freshSchemaName();
    return { store: new ProtocolStore(wrap(await openPostgresBackend(PG_URL, { schema }))), cleanup: () => dropSchema(schema) };
  });
} else {
  describe.skip("postgres store conformance (PostgreSQL unreachable)", () => {
    it.skip("needs PostgreSQL", () => undefined);
  });
}
