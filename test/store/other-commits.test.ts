/**
 * OtherCommits: a connection hears that another connection to the same file committed (another
 * process sharing it), once per change, and never for its own commits. Checked by hand here
 * (`check()`), so no timer decides the outcome.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OtherCommits } from "../../src/store/sqlite/other-commits.js";

let dir: string;
let ours: Database.Database;
let theirs: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reprise-other-commits-"));
  ours = new Database(join(dir, "shared.db"));
  ours.pragma("journal_mode = WAL");
  ours.exec("CREATE TABLE t (n INTEGER)");
  theirs = new Database(join(dir, "shared.db"));
});

afterEach(() => {
  ours.close();
  theirs.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("OtherCommits", () => {
  it("tells each listener once per check that finds another connection's commits, and nothing for its own", () => {
    const watcher = new OtherCommits(ours, 60_000);
    let heard = 0;
    let heardToo = 0;
    const stop = watcher.subscribe(() => heard++);
    watcher.subscribe(() => heardToo++);

    watcher.check();
    expect(heard).toBe(0);

    ours.exec("INSERT INTO t VALUES (1)");
    watcher.check();
    expect(heard).toBe(0);

    theirs.exec("INSERT INTO t VALUES (2)");
    theirs.exec("INSERT INTO t VALUES (3)");
    watcher.check();
    expect([heard, heardToo]).toEqual([1, 1]);
    watcher.check();
    expect([heard, heardToo]).toEqual([1, 1]);

    stop();
    theirs.exec("INSERT INTO t VALUES (4)");
    watcher.check();
    expect([heard, heardToo]).toEqual([1, 2]);
    watcher.close();
  });

  it("does not count what was committed before anyone listened", () => {
    const watcher = new OtherCommits(ours, 60_000);
    theirs.exec("INSERT INTO t VALUES (1)");
    let heard = 0;
    watcher.subscribe(() => heard++);
    watcher.check();
    expect(heard).toBe(0);
    watcher.close();
  });

  it("checks on its own timer while someone listens, and reads nothing once closed", async () => {
    const watcher = new OtherCommits(ours, 5);
    const heard = new Promise<void>((resolve) => watcher.subscribe(resolve));
    theirs.exec("INSERT INTO t VALUES (1)");
    await heard;
    watcher.close();
    ours.close();
    // A check after close must not touch the closed connection.
    expect(() => watcher.check()).not.toThrow();
    ours = new Database(join(dir, "shared.db"));
  });
});
