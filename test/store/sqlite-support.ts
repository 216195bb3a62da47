/** A fresh SQLite file per test, under the OS temp directory, removed afterwards. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function freshDatabasePath(): { path: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), "reprise-store-"));
  return { path: join(dir, "reprise.db"), remove: async () => rmSync(dir, { recursive: true, force: true }) };
}
