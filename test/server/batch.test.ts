/**
 * `reprise.batch` on `POST /`: many requests in one POST, answered in order, each like a single
 * answer; a bad item refused in its place without reaching the store; auth and bounds on the envelope.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BATCH_KIND, MAX_BATCH_REQUESTS } from "../../src/protocol/batch.js";
import { PROTOCOL_VERSION, type Request } from "../../src/protocol/requests.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { base64Json, startTestServer, type TestServer } from "./harness.js";

const HOUR = 3_600_000;
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server over a store that records every batch and single request it is asked to apply. */
async function recordingServer(authToken?: string): Promise<{ server: TestServer; batches: Request[][]; singles: Request[] }> {
  const inner = await openStore(":memory:");
  const batches: Request[][] = [];
  const singles: Request[] = [];
  const store: Store = {
    apply: (req, now) => {
      singles.push(req);
      return inner.apply(req, now);
    },
    applyBatch: (reqs, now) => {
      batches.push([...reqs]);
      return inner.applyBatch(reqs, now);
    },
    tick: (now) => inner.tick(now),
    nextDeadline: () => inner.nextDeadline(),
    onMessage: (listener) => inner.onMessage(listener),
    close: () => inner.close(),
  };
  const server = await startTestServer({ store, authToken });
  servers.push(server);
  return { server, batches, singles };
}

const item = (kind: string, corrId: string, data: unknown) => ({ kind, head: { corrId, version: PROTOCOL_VERSION }, data });
const batch = (requests: unknown[], head: Record<string, string> = {}) => ({ kind: BATCH_KIND, head: { corrId: "batch-1", version: PROTOCOL_VERSION, ...head }, data: { requests } });
const create = (id: string) => ({ id, timeoutAt: Date.now() + HOUR, param: { data: base64Json(id) }, tags: {} });

interface Answer {
  kind: string;
  head: { corrId: string; status: number; version: string };
  data: unknown;
  error?: { field: string; expected: string; message: string };
}
const responsesOf = (body: unknown) => (body as { data: { responses: Answer[] } }).data.responses;

describe("reprise.batch", () => {
  it("answers every item in request order, each shaped like a single answer, with one store call", async () => {
    const { server, batches, singles } = await recordingServer();
    const answer = await server.post(
      batch([
        item("promise.create", "c1", create("b-1")),
        item("promise.get", "c2", { id: "b-missing" }),
        item("promise.settle", "c3", { id: "b-1", state: "resolved", value: { data: base64Json(1) } }),
        item("promise.get", "c4", { id: "b-1" }),
      ]),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: BATCH_KIND, head: { corrId: "batch-1", status: 200, version: PROTOCOL_VERSION } });
    const responses = responsesOf(answer.body);
    expect(responses.map((r) => [r.kind, r.head.corrId, r.head.status])).toEqual([
      ["promise.create", "c1", 200],
      ["promise.get", "c2", 404],
      ["promise.settle", "c3", 200],
      ["promise.get", "c4", 200],
    ]);
    expect(responses[3]!.data).toMatchObject({ promise: { id: "b-1", state: "resolved" } });
    expect(batches).toHaveLength(1);
    expect(singles).toHaveLength(0);

    // The same request alone gets the same answer, bar nothing.
    const single = await server.post(item("promise.get", "c4", { id: "b-1" }));
    expect(single.body).toEqual(responses[3]);
  });

  it("refuses a bad item with 400 in its place; it never reaches the store and its neighbours go on", async () => {
    const { server, batches } = await recordingServer();
    const answer = await server.post(
      batch([
        item("promise.create", "ok-1", create("b-2")),
        item("promise.create", "bad-1", { ...create("b-3"), id: "" }),
        item("no.such.kind", "bad-2", {}),
        batch([item("promise.get", "inner", { id: "b-2" })]),
        "not an object",
        item("promise.get", "ok-2", { id: "b-2" }),
      ]),
    );
    expect(answer.status).toBe(200);
    const responses = responsesOf(answer.body);
    expect(responses.map((r) => r.head.status)).toEqual([200, 400, 400, 400, 400, 200]);
    expect(responses[1]).toMatchObject({ kind: "promise.create", head: { corrId: "bad-1" }, error: { field: "data.id" } });
    expect(responses[2]).toMatchObject({ kind: "no.such.kind", head: { corrId: "bad-2" }, error: { field: "kind" } });
    expect(responses[3]).toMatchObject({ kind: BATCH_KIND, error: { field: "kind", expected: expect.stringContaining("batches do not nest") } });
    expect(responses[4]).toMatchObject({ kind: "unknown", head: { corrId: "" }, error: { field: "body" } });
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((r) => r.head.corrId)).toEqual(["ok-1", "ok-2"]);
    expect((await server.send("promise.get", { id: "b-3" })).status).toBe(404);
  });

  it("refuses more than MAX_BATCH_REQUESTS items, or a malformed envelope, as a whole with 400 naming the field", async () => {
    const { server, batches } = await recordingServer();
    const tooMany = Array.from({ length: MAX_BATCH_REQUESTS + 1 }, (_, i) => item("promise.get", `c${i}`, { id: `x${i}` }));
    const refused = await server.post(batch(tooMany));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ kind: BATCH_KIND, head: { corrId: "batch-1", status: 400 }, error: { field: "data.requests" } });

    const notAnArray = await server.post({ kind: BATCH_KIND, head: { corrId: "b", version: PROTOCOL_VERSION }, data: { requests: {} } });
    expect(notAnArray.status).toBe(400);
    expect(notAnArray.body).toMatchObject({ error: { field: "data.requests" } });
    const noHead = await server.post({ kind: BATCH_KIND, data: { requests: [] } });
    expect(noHead.status).toBe(400);
    expect(noHead.body).toMatchObject({ error: { field: "head" } });
    expect(batches).toHaveLength(0);

    const atTheBound = await server.post(batch(tooMany.slice(1)));
    expect(responsesOf(atTheBound.body)).toHaveLength(MAX_BATCH_REQUESTS);
    const empty = await server.post(batch([]));
    expect(empty.status).toBe(200);
    expect(responsesOf(empty.body)).toEqual([]);
  });

  it("checks auth once, on the envelope, by the same rules as a single request", async () => {
    const { server, batches } = await recordingServer("tok");
    const requests = [item("promise.create", "a1", create("b-auth")), item("promise.get", "a2", { id: "b-auth" })];

    const missing = await server.post(batch(requests));
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ kind: BATCH_KIND, head: { corrId: "batch-1", status: 401 }, data: "missing bearer token" });
    const wrong = await server.post(batch(requests, { auth: "nope" }));
    expect(wrong.status).toBe(401);
    // A token on an item does not stand in for the envelope's.
    const onItems = await server.post(batch(requests.map((r) => ({ ...r, head: { ...r.head, auth: "tok" } }))));
    expect(onItems.status).toBe(401);
    expect(batches).toHaveLength(0);

    const viaHead = await server.post(batch(requests, { auth: "tok" }));
    expect(responsesOf(viaHead.body).map((r) => r.head.status)).toEqual([200, 200]);
    const viaHeader = await server.post(batch(requests), { authorization: "Bearer tok" });
    expect(responsesOf(viaHeader.body).map((r) => r.head.status)).toEqual([200, 200]);
  });
});
