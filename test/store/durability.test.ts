/** Durability names what an acknowledged write survives; SQLite's own words stay inside the store. */
import { describe, expect, it } from "vitest";
import { DEFAULT_DURABILITY, sqliteSynchronous, type Durability } from "../../src/store/durability.js";
import { openSqliteBackend } from "../../src/store/index.js";
import { freshDatabasePath } from "./sqlite-support.js";

describe("durability", () => {
  it("defaults to surviving a power loss: every commit fsynced (synchronous=FULL)", () => {
    expect(DEFAULT_DURABILITY).toBe("power-loss");
    expect(sqliteSynchronous("power-loss")).toBe("FULL");
    expect(sqliteSynchronous("process-crash")).toBe("NORMAL");
  });

  it("refuses a durability it does not know, naming the choices", async () => {
    const { path, remove } = freshDatabasePath();
    try {
      expect(() => openSqliteBackend(path, { durability: "fast" as Durability })).toThrow(/power-loss, process-crash/);
    } finally {
      await remove();
    }
  });
});
