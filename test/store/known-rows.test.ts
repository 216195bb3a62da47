/**
 * The rows a PostgreSQL server remembers for speculation (known-rows.ts): only what a committed
 * transaction left, bounded in count and in age, pending promises only, nothing deleted.
 */
import { describe, expect, it } from "vitest";
import type { PromiseRecord, TaskRecord } from "../../src/protocol/records.js";
import { KnownRows, type SeenRows } from "../../src/store/postgres/known-rows.js";

const T0 = 1_700_000_000_000;

function promise(id: string, state: PromiseRecord["state"] = "pending"): PromiseRecord {
  return { id, state, param: {}, value: {}, tags: {}, timeoutAt: T0 + 60_000, createdAt: T0 };
}

function task(id: string, version = 1): TaskRecord {
  return { id, state: "acquired", version, resumes: [], pid: "p", ttl: 60_000, expiresAt: T0 + 60_000 };
}

function seen(parts: Partial<SeenRows>): SeenRows {
  return { read: { promises: new Map(), tasks: new Map() }, written: { promises: new Map(), tasks: new Map() }, xid: undefined, ...parts };
}

describe("KnownRows", () => {
  it("keeps rows read at their revision, and rows written at the writer's transaction id", () => {
    const known = new KnownRows();
    known.learn(
      seen({
        read: { promises: new Map([["a", { record: promise("a"), rev: "10", payloadChars: 4 }]]), tasks: new Map([["a", { record: task("a"), rev: "11" }]]) },
        written: { promises: new Map([["b", { record: promise("b"), payloadChars: 4 }]]), tasks: new Map([["a", task("a", 2)]]) },
        xid: "20",
      }),
    );
    expect(known.promise("a")).toEqual({ record: promise("a"), rev: "10", at: expect.any(Number) });
    expect(known.promise("b")?.rev).toBe("20");
    // Read, then written by the same transaction: the write is what the table holds.
    expect(known.task("a")).toMatchObject({ record: task("a", 2), rev: "20" });
  });

  it("keeps pending promises with small payloads only", () => {
    const known = new KnownRows();
    known.rememberPromise(promise("settled", "resolved"), "1", 4);
    known.rememberPromise(promise("large"), "1", 5000);
    known.rememberPromise(promise("small"), "1", 4);
    expect(known.promise("settled")).toBeUndefined();
    expect(known.promise("large")).toBeUndefined();
    expect(known.promise("small")).toBeDefined();
    // Settling it drops it.
    known.rememberPromise(promise("small", "resolved"), "2", 4);
    expect(known.promise("small")).toBeUndefined();
  });

  it("forgets the oldest rows past its capacity, and any row past its age", () => {
    let now = T0;
    const known = new KnownRows({ capacity: 2, maxAgeMs: 1000, now: () => now });
    known.rememberTask(task("a"), "1");
    known.rememberTask(task("b"), "1");
    known.rememberTask(task("a"), "2"); // remembered again: now among the newest
    known.rememberTask(task("c"), "1");
    known.rememberTask(task("d"), "1");
    // The last two remembered (c, d) are kept, and a, remembered just before them, may be.
    expect(known.task("b")).toBeUndefined();
    expect(known.task("d")?.rev).toBe("1");
    expect(known.task("a")?.rev).toBe("2");
    now += 1001;
    expect(known.task("a")).toBeUndefined();
    expect(known.task("c")).toBeUndefined();
    expect(known.task("d")).toBeUndefined();
    expect(known.size).toEqual({ promises: 0, tasks: 0 });
  });

  it("learns nothing of rows the transaction deleted, by id or by prefix", () => {
    const known = new KnownRows();
    known.rememberTask(task("gone"), "1");
    known.learn(
      seen({
        read: { promises: new Map([["root.1", { record: promise("root.1"), rev: "5", payloadChars: 4 }]]), tasks: new Map() },
        written: { promises: new Map([["other", { record: promise("other"), payloadChars: 4 }]]), tasks: new Map() },
        xid: "6",
        deleted: { ids: new Set(["gone"]), prefixes: ["root"] },
      }),
    );
    expect(known.task("gone")).toBeUndefined();
    expect(known.promise("root.1")).toBeUndefined();
    expect(known.promise("other")?.rev).toBe("6");
  });
});
