/**
 * One validator: the HTTP edge and the store refuse the same requests with the same message,
 * because both run protocol/validation.ts. Before, a zod schema at the edge and a hand-written
 * copy in the kernel disagreed: a schedule template that expands past the id limit or a cursor
 * no store handed out passed the edge and was refused by the kernel without a field, and the
 * two worded every refusal differently.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ID_LENGTH } from "../../src/protocol/limits.js";
import { PROTOCOL_VERSION, type Request } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { startTestServer, type TestServer } from "./harness.js";

const head = { corrId: "c", version: PROTOCOL_VERSION };
const target = { [TAG.target]: "poll://any@g" };

const BAD: [string, unknown, string][] = [
  ["a template expanding past the id limit", { kind: "schedule.create", head, data: { id: "s", cron: "* * * * *", promiseId: `${"x".repeat(MAX_ID_LENGTH - 10)}{{.timestamp}}`, promiseTimeout: 1, promiseTags: target } }, "data.promiseId"],
  ["a cursor no store handed out", { kind: "promise.search", head, data: { cursor: "bm90LWFuLWlk!" } }, "data.cursor"],
  ["an id with a NUL", { kind: "promise.get", head, data: { id: "a\u0000" } }, "data.id"],
  ["a tag key with a lone surrogate", { kind: "promise.create", head, data: { id: "p", timeoutAt: 1, tags: { "\udc00": "v" } } }, 'data.tags["\\udc00"]'],
  ["a nested action without a target", { kind: "task.create", head, data: { pid: "w", ttl: 1, action: { kind: "promise.create", head, data: { id: "p", timeoutAt: 1, tags: {} } } } }, 'data.action.data.tags["resonate:target"]'],
  ["a suspend on its own promise", { kind: "task.suspend", head, data: { id: "p", version: 1, actions: [{ kind: "promise.register_callback", head, data: { awaited: "p", awaiter: "p" } }] } }, "data.actions[0].data.awaited"],
  ["a head without corrId", { kind: "promise.get", head: { version: "v" }, data: { id: "p" } }, "head.corrId"],
];

describe("the edge and the store", () => {
  let server: TestServer;
  let store: Store;
  beforeAll(async () => {
    server = await startTestServer();
    store = await openStore(":memory:");
  });
  afterAll(async () => {
    await server.close();
    await store.close();
  });

  it.each(BAD)("refuse %s alike, naming the field", async (_what, body, field) => {
    const atEdge = await server.post(body);
    const inStore = await store.apply(body as Request);
    expect(atEdge.status).toBe(400);
    expect(inStore.head.status).toBe(400);
    expect(atEdge.body.error).toMatchObject({ field });
    expect(atEdge.body.data).toBe(inStore.data);
  });
});
