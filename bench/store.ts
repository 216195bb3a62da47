/**
 * The store alone: durable promise create + settle per second on SQLite (WAL), one caller at a
 * time and 64 callers at once, with synchronous=NORMAL (the default) and FULL (an fsync per
 * commit). The gap between one caller and 64 is group commit: concurrent transactions share one
 * COMMIT, hence one fsync under FULL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../src/store/index.js";
import { openStore } from "../src/store/index.js";

const HEAD = { corrId: "bench", version: "bench" };

export async function benchStore(): Promise<Record<string, number>> {
  await withStore("NORMAL", (store) => createAndSettle(store, 1_000, 8)); // warm up the JIT
  const figures: Record<string, number> = {};
  for (const [synchronous, promises] of [["NORMAL", 5_000], ["FULL", 1_000]] as const) {
    const sequential = await withStore(synchronous, (store) => createAndSettle(store, promises, 1));
    const concurrent = await withStore(synchronous, (store) => createAndSettle(store, promises * 4, 64));
    figures[`sqlite ${synchronous}: create+settle ops/s, sequential`] = Math.round(sequential);
    figures[`sqlite ${synchronous}: create+settle ops/s, 64 concurrent callers`] = Math.round(concurrent);
  }
  return figures;
}

/** Ops/s, where one op is a create and a settle of one promise (two durable transactions). */
async function createAndSettle(store: Store, promises: number, callers: number): Promise<number> {
  let next = 0;
  const caller = async () => {
    for (let n = next++; n < promises; n = next++) {
      const id = `bench-${n}`;
      await store.apply({ kind: "promise.create", head: HEAD, data: { id, timeoutAt: Date.now() + 3_600_000, param: {}, tags: {} } });
      await store.apply({ kind: "promise.settle", head: HEAD, data: { id, state: "resolved", value: { data: "b2s=" } } });
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, caller));
  return promises / ((performance.now() - started) / 1000);
}

async function withStore<T>(synchronous: "NORMAL" | "FULL", work: (store: Store) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-bench-store-"));
  const store = await openStore(join(dir, "bench.db"), { sqlite: { synchronous } });
  try {
    return await work(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
