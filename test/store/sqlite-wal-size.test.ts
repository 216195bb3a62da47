/**
 * The SQLite log is given its working size when a power-loss store opens (src/store/sqlite/wal-size.ts).
 * What must hold: the zeros past the last frame are never read as data, so every acknowledged
 * commit survives a SIGKILL; a log already as large is left alone; a busy write lock skips it.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteBackend, openStore } from "../../src/store/index.js";
import { presizeWal, workingWalBytes } from "../../src/store/sqlite/wal-size.js";
import { freshDatabasePerTest } from "./sqlite-support.js";

const WRITER = fileURLToPath(new URL("./fixtures/wal-writer.ts", import.meta.url));
const fresh = freshDatabasePerTest();

describe("the pre-sized SQLite log", () => {
  it("is as large as a checkpoint's worth of frames once a power-loss store is open, and not at process-crash", async () => {
    const full = fresh();
    const backend = openSqliteBackend(full);
    const db = new Database(full);
    try {
      expect(workingWalBytes(db)).toBe(32 + 1000 * (4096 + 24));
      expect(statSync(`${full}-wal`).size).toBe(workingWalBytes(db));
    } finally {
      db.close();
      await backend.close();
    }
    const normal = fresh();
    const fast = openSqliteBackend(normal, { durability: "process-crash" });
    try {
      expect(statSync(`${normal}-wal`).size).toBeLessThan(1_000_000);
    } finally {
      await fast.close();
    }
  });

  it("loses no acknowledged commit when the process is killed with frames followed by zeros", async () => {
    const path = fresh();
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, path], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const acknowledged: string[] = [];
    let logBytes = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith("open ")) logBytes = Number(line.slice(5));
      else acknowledged.push(line);
      // Well short of the log's size (the writer stops at 200, about 650 of its 1,000 frames):
      // the kill finds valid frames, then the zeros. 300 filled 969 frames, so a kill that came
      // a few commits late (a loaded machine) found the log wrapped and one frame longer.
      if (acknowledged.length === 150) break;
    }
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(stderr).toBe("");
    expect(logBytes).toBeGreaterThan(4_000_000);
    expect(statSync(`${path}-wal`).size).toBe(logBytes);

    const store = await openStore(path);
    try {
      for (const id of acknowledged) {
        const got = await store.apply({ kind: "promise.get", head: { corrId: id, version: "test" }, data: { id } });
        expect(got.head.status, id).toBe(200);
      }
      // The store goes on writing after the recovered frames.
      const after = await store.apply({ kind: "promise.create", head: { corrId: "after", version: "test" }, data: { id: "after", timeoutAt: Date.now() + 60_000, param: {}, tags: {} } });
      expect(after.head.status).toBe(200);
    } finally {
      await store.close();
    }
  });

  it("leaves a log that is already large enough as it is", () => {
    const path = fresh();
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.exec("CREATE TABLE t (v BLOB)");
      presizeWal(db, path, 100_000);
      expect(statSync(`${path}-wal`).size).toBe(100_000);
      const before = statSync(`${path}-wal`).mtimeMs;
      presizeWal(db, path, 50_000);
      expect(statSync(`${path}-wal`).size).toBe(100_000);
      expect(statSync(`${path}-wal`).mtimeMs).toBe(before);
      db.prepare("INSERT INTO t VALUES (zeroblob(10))").run();
      expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it("skips, without failing, when another connection holds the write lock", () => {
    const path = fresh();
    const holder = new Database(path);
    const db = new Database(path);
    try {
      holder.pragma("journal_mode = WAL");
      holder.exec("CREATE TABLE t (v BLOB)");
      const size = statSync(`${path}-wal`).size;
      holder.exec("BEGIN IMMEDIATE");
      db.pragma("busy_timeout = 0");
      expect(() => presizeWal(db, path, 100_000)).not.toThrow();
      expect(statSync(`${path}-wal`).size).toBe(size);
      expect(db.inTransaction).toBe(false);
      holder.exec("ROLLBACK");
    } finally {
      db.close();
      holder.close();
    }
  });
});
