/** A fresh SQLite file per test, under the OS temp directory, removed afterwards. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

export function freshDatabasePath(): { path: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), "reprise-store-"));
  return { path: join(dir, "reprise.db"), remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Call at a test file's top level: each call of the function it returns gives a fresh path, removed after the test. */
export function freshDatabasePerTest(): () => string {
  const removals: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const remove of removals.splice(0)) await remove();
  });
  return () => {
    const { path, remove } = freshDatabasePath();
    removals.push(remove);
    return path;
  };
}
