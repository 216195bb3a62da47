import { openSqliteBackend, ProtocolStore } from "../../src/store/index.js";
import { describeStoreConformance } from "./conformance.js";
import { freshDatabasePath } from "./sqlite-support.js";

describeStoreConformance("sqlite", async (wrap = (backend) => backend) => {
  const { path, remove } = freshDatabasePath();
  return { store: new ProtocolStore(wrap(openSqliteBackend(path))), cleanup: remove };
});
