/**
 * Flow control between stores sharing one database (servers on one PostgreSQL): a declaration
 * made through one reaches the other within a second, and their acquisitions share one count.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RequestKind, RequestOf, Response } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { ProtocolStore } from "../../src/store/index.js";
import { openPostgresBackend } from "../../src/store/postgres/index.js";
import type { Store } from "../../src/store/store.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

const run = await postgresAvailable();
const opened: Store[] = [];
const schemas: string[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  for (const schema of schemas.splice(0)) await dropSchema(schema);
});

async function twoServers(): Promise<[Store, Store]> {
  const schema = freshSchemaName();
  schemas.push(schema);
  const stores: [Store, Store] = [new ProtocolStore(await openPostgresBackend(PG_URL, { schema })), new ProtocolStore(await openPostgresBackend(PG_URL, { schema }))];
  opened.push(...stores);
  return stores;
}

function send<K extends RequestKind>(store: Store, kind: K, data: RequestOf<K>["data"]): Promise<Response<K>> {
  return store.apply({ kind, head: { corrId: kind, version: "test" }, data } as RequestOf<K>);
}

function create(store: Store, id: string) {
  const tags = { [TAG.target]: "poll://any@workers", [TAG.func]: "charge" };
  return send(store, "promise.create", { id, timeoutAt: Date.now() + 60_000, param: {}, tags });
}

describe.runIf(run)("flow control across stores on one PostgreSQL", () => {
  it("sees a declaration made through the other store within a second", async () => {
    const [first, second] = await twoServers();
    // The second store reads the (empty) declarations now, so its next read is a second away.
    await create(second, "before");
    await send(first, "reprise.declare_limits", { group: "workers", pid: "w1", functions: [{ func: "charge", concurrency: 1 }] });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const created = await create(second, "after");
    expect(created.head.status).toBe(200);
    expect((created.data as { promise: { tags: Record<string, string> } }).promise.tags[TAG.flow]).toBe("");
  });

  it("counts acquisitions through both stores in one row: never more than the limit", async () => {
    const [first, second] = await twoServers();
    await send(first, "reprise.declare_limits", { group: "workers", pid: "w1", functions: [{ func: "charge", concurrency: 3 }] });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const ids = Array.from({ length: 20 }, (_, i) => `run-${i}`);
    await Promise.all(ids.map((id, i) => create(i % 2 ? first : second, id)));
    // Every task tried through both stores at once; the row lock decides.
    const answers = await Promise.all(
      ids.flatMap((id) => [first, second].map((store, n) => send(store, "task.acquire", { id, version: 0, pid: `w${n}`, ttl: 60_000 }))),
    );
    expect(answers.filter((answer) => answer.head.status === 200)).toHaveLength(3);
    const stats = await send(second, "reprise.flow_stats", {});
    expect(stats.head.status).toBe(200);
    expect((stats.data as { flows: unknown[] }).flows).toMatchObject([{ func: "charge", running: 3, queued: 17 }]);
  });
});
