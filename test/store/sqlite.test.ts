import { openStore } from "../../src/store/index.js";
import { describeStoreConformance } from "./conformance.js";
import { freshDatabasePath } from "./sqlite-support.js";

describeStoreConformance("sqlite", async () => {
  const { path, remove } = freshDatabasePath();
  return { store: await openStore(path), cleanup: remove };
});
