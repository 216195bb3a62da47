/**
 * The dashboard's execution list reads store pages until it has `limit` roots; with large params
 * that many roots must not make one answer unbounded: the list ends early, with a cursor.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listExecutions } from "../../src/dashboard/store-queries.js";
import { MAX_PAGE_BYTES } from "../../src/protocol/limits.js";
import { TAG } from "../../src/protocol/tags.js";
import { openStore, type Store } from "../../src/store/index.js";

const HEAD = { corrId: "bytes", version: "test" };

describe("dashboard: /api/executions bounded by bytes", () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore(":memory:");
  });
  afterEach(async () => {
    await store.close();
  });

  it("ends a list early, with a cursor that continues it, once its roots pass the budget", async () => {
    const ids = Array.from({ length: 7 }, (_, n) => `exec-${n}`);
    for (const id of ids) {
      const res = await store.apply({
        kind: "promise.create",
        head: HEAD,
        data: { id, timeoutAt: Date.now() + 60_000, param: { data: "A".repeat(Math.ceil(MAX_PAGE_BYTES / 3) + 1) }, tags: { [TAG.kind]: "root", [TAG.scope]: "global" } },
      });
      expect(res.head.status).toBe(200);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let lists = 0;
    do {
      const list = await listExecutions(store, cursor === undefined ? { limit: 100 } : { limit: 100, cursor });
      expect(list.roots.length).toBeGreaterThanOrEqual(1);
      expect(list.roots.length).toBeLessThanOrEqual(3);
      seen.push(...list.roots.map((root) => root.id));
      cursor = list.cursor;
      lists++;
    } while (cursor !== undefined && lists < 20);
    expect(seen).toEqual(ids);
  });
});
