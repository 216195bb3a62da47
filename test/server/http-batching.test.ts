/**
 * HttpTransport batching: the sends of one turn travel as one reprise.batch POST (a lone one as
 * itself), sends made while a batch is in flight ride the next one, a batch is retried whole, and
 * a server that refuses the batch kind gets requests one by one from then on.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { BATCH_KIND, MAX_BATCH_REQUESTS } from "../../src/protocol/batch.js";
import { PROTOCOL_VERSION, dataOf, type Request } from "../../src/protocol/requests.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { HttpTransport, MAX_BATCH_ITEMS, ServerUnreachableError } from "../../src/transport/http.js";
import { base64Json, startTestServer, type TestServer } from "./harness.js";

interface Posted {
  kind: string;
  head: { corrId: string; version: string; auth?: string };
  data: { requests?: Posted[] } & Record<string, unknown>;
}
/** Decides how the scripted server answers one POST; `answer` echoes it as a working server would. */
type Script = (posted: Posted, response: ServerResponse, answer: () => void) => void;

const servers: Server[] = [];
const testServers: TestServer[] = [];
const transports: HttpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(testServers.splice(0).map((s) => s.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server that records every POST and answers each request with 404 "<id> not found" unless the script says otherwise. */
async function scripted(script: Script = (_posted, _response, answer) => answer()): Promise<{ url: string; posts: Posted[] }> {
  const posts: Posted[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const posted = JSON.parse(body) as Posted;
      posts.push(posted);
      script(posted, response, () => json(response, 200, echo(posted)));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posts };
}

function echo(posted: Posted): unknown {
  if (posted.kind === BATCH_KIND) {
    return { kind: BATCH_KIND, head: { corrId: posted.head.corrId, status: 200, version: posted.head.version }, data: { responses: posted.data.requests!.map(echoOne) } };
  }
  return echoOne(posted);
}

function echoOne(posted: Posted) {
  return { kind: posted.kind, head: { corrId: posted.head.corrId, status: 404, version: posted.head.version }, data: `${String(posted.data.id)} not found` };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function transport(url: string, options: { authToken?: string; maxAttempts?: number } = {}): HttpTransport {
  const created = new HttpTransport({ url, authToken: options.authToken, retry: { maxAttempts: options.maxAttempts ?? 5, initialDelayMs: 5, maxDelayMs: 20 } });
  transports.push(created);
  return created;
}

const get = (id: string): Request => ({ kind: "promise.get", head: { corrId: "", version: PROTOCOL_VERSION }, data: { id } });
const ids = (count: number, prefix = "p") => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
const sizes = (posts: Posted[]) => posts.map((p) => (p.kind === BATCH_KIND ? p.data.requests!.length : p.kind));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("batching", () => {
  it("sends N requests made in one turn as one POST, and gives each caller its own answer", async () => {
    const { url, posts } = await scripted();
    const client = transport(url, { authToken: "tok" });
    const answers = await Promise.all(ids(25).map((id) => client.send(get(id))));
    expect(sizes(posts)).toEqual([25]);
    expect(answers.map((a) => a.data)).toEqual(ids(25).map((id) => `${id} not found`));
    // The token travels once, on the envelope; every item has a corrId of its own.
    expect(posts[0]!.head.auth).toBe("tok");
    const items = posts[0]!.data.requests!;
    expect(items.every((i) => i.head.auth === undefined)).toBe(true);
    expect(new Set(items.map((i) => i.head.corrId)).size).toBe(25);
  });

  it("sends a lone request as itself, unchanged", async () => {
    const { url, posts } = await scripted();
    const client = transport(url, { authToken: "tok" });
    await client.send(get("alone"));
    await nextTurn();
    await client.send(get("alone-again"));
    expect(sizes(posts)).toEqual(["promise.get", "promise.get"]);
    expect(posts[0]).toMatchObject({ kind: "promise.get", head: { auth: "tok", version: PROTOCOL_VERSION }, data: { id: "alone" } });
  });

  it("queues what is sent while a batch is in flight for the next POST", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { url, posts } = await scripted((posted, _response, answer) => (posts.length === 1 ? void held.then(answer) : answer()));
    const client = transport(url);
    const first = Promise.all(ids(3, "a").map((id) => client.send(get(id))));
    while (posts.length === 0) await nextTurn();
    // Five sends in five different turns, all while the first batch is held by the server.
    const second: Promise<unknown>[] = [];
    for (const id of ids(5, "b")) {
      second.push(client.send(get(id)));
      await nextTurn();
    }
    release();
    await Promise.all([first, ...second]);
    expect(sizes(posts)).toEqual([3, 5]);
  });

  it(`bounds a batch to MAX_BATCH_ITEMS (${MAX_BATCH_ITEMS}) requests, and sends a large queue in several batches at once`, async () => {
    expect(MAX_BATCH_ITEMS).toBeLessThanOrEqual(MAX_BATCH_REQUESTS);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { url, posts } = await scripted((_posted, _response, answer) => void held.then(answer));
    const client = transport(url);
    const all = Promise.all(ids(2 * MAX_BATCH_ITEMS + 5).map((id) => client.send(get(id))));
    // All three go before any is answered: nothing was in flight when they were queued.
    while (posts.length < 3) await nextTurn();
    release();
    await all;
    expect(sizes(posts)).toEqual([MAX_BATCH_ITEMS, MAX_BATCH_ITEMS, 5]);
  });

  it("while batches are in flight, sends a full batch at once and holds a partial one", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { url, posts } = await scripted((_posted, _response, answer) => (posts.length === 1 ? void held.then(answer) : answer()));
    const client = transport(url);
    const first = Promise.all(ids(2, "a").map((id) => client.send(get(id))));
    while (posts.length === 0) await nextTurn();
    const more = Promise.all(ids(MAX_BATCH_ITEMS + 3, "b").map((id) => client.send(get(id))));
    while (posts.length < 2) await nextTurn();
    expect(sizes(posts)).toEqual([2, MAX_BATCH_ITEMS]);
    release();
    await Promise.all([first, more]);
    expect(sizes(posts)).toEqual([2, MAX_BATCH_ITEMS, 3]);
  });

  it("sends requests of running executions before new task.create requests, keeping a quarter of a batch for those", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { url, posts } = await scripted((_posted, _response, answer) => (posts.length === 1 ? void held.then(answer) : answer()));
    const client = transport(url);
    const first = client.send(get("in-flight"));
    while (posts.length === 0) await nextTurn();
    // While one batch is in flight: new executions first, then more than a batch of other requests.
    const create = (id: string): Request => ({
      kind: "task.create",
      head: { corrId: "", version: PROTOCOL_VERSION },
      data: { pid: "p", ttl: 1000, action: { kind: "promise.create", head: { corrId: "", version: PROTOCOL_VERSION }, data: { id, timeoutAt: 1, param: {}, tags: {} } } },
    });
    const creates = ids(MAX_BATCH_ITEMS, "new").map((id) => client.send(create(id)));
    const gets = ids(MAX_BATCH_ITEMS, "running").map((id) => client.send(get(id)));
    while (posts.length < 2) await nextTurn();
    const reserved = Math.ceil(MAX_BATCH_ITEMS / 4);
    const batch = posts[1]!.data.requests!;
    expect(batch).toHaveLength(MAX_BATCH_ITEMS);
    expect(batch.filter((r) => r.kind === "promise.get").map((r) => r.data.id)).toEqual(ids(MAX_BATCH_ITEMS - reserved, "running"));
    expect(batch.filter((r) => r.kind === "task.create")).toHaveLength(reserved);
    release();
    // Every request still gets its own answer.
    const answers = await Promise.all([first, ...creates, ...gets]);
    expect(answers.slice(1 + MAX_BATCH_ITEMS).map((a) => a.data)).toEqual(ids(MAX_BATCH_ITEMS, "running").map((id) => `${id} not found`));
    expect(sizes(posts).reduce<number>((sum, size) => sum + (typeof size === "number" ? size : 1), 0)).toBe(1 + 2 * MAX_BATCH_ITEMS);
  });

  it("retries a whole batch after a 5xx or a garbled answer, with the same requests", async () => {
    const { url, posts } = await scripted((posted, response, answer) => {
      if (posts.length === 1) return void response.writeHead(503).end("busy");
      if (posts.length === 2) return json(response, 200, { kind: BATCH_KIND, head: { corrId: posted.head.corrId, status: 200 }, data: { responses: [] } });
      answer();
    });
    const client = transport(url);
    const answers = await Promise.all(ids(4).map((id) => client.send(get(id))));
    expect(answers.map((a) => a.head.status)).toEqual([404, 404, 404, 404]);
    expect(posts).toHaveLength(3);
    expect(posts[1]).toEqual(posts[0]);
    expect(posts[2]).toEqual(posts[0]);
  });

  it("fails every caller of a batch with ServerUnreachableError after the last attempt", async () => {
    const { url } = await scripted((_posted, response) => response.writeHead(502).end());
    const client = transport(url, { maxAttempts: 2 });
    const outcomes = await Promise.allSettled(ids(3).map((id) => client.send(get(id))));
    expect(outcomes.map((o) => (o.status === "rejected" ? o.reason : o))).toEqual([expect.any(ServerUnreachableError), expect.any(ServerUnreachableError), expect.any(ServerUnreachableError)]);
  });

  it("falls back to one request at a time, for good, when the server refuses the batch kind with 400", async () => {
    // As a Resonate server (or a Reprise server before batches) refuses a kind it does not know.
    const { url, posts } = await scripted((posted, response, answer) => {
      if (posted.kind !== BATCH_KIND) return answer();
      json(response, 400, { kind: posted.kind, head: { corrId: posted.head.corrId, status: 400, version: posted.head.version }, data: "kind: expected one of promise.get, ..." });
    });
    const client = transport(url, { authToken: "tok" });
    const first = await Promise.all(ids(3, "a").map((id) => client.send(get(id))));
    const later = await Promise.all(ids(3, "b").map((id) => client.send(get(id))));
    expect([...first, ...later].map((a) => a.data)).toEqual([...ids(3, "a"), ...ids(3, "b")].map((id) => `${id} not found`));
    expect(sizes(posts)).toEqual([3, ...Array<string>(6).fill("promise.get")]);
    // Alone, each request carries the token itself again.
    expect(posts.slice(1).every((p) => p.head.auth === "tok")).toBe(true);
  });

  it("sends a batch refused for its size (413) one by one, and keeps batching afterwards", async () => {
    const { url, posts } = await scripted((posted, response, answer) => (posted.kind === BATCH_KIND && posts.length === 1 ? void response.writeHead(413).end() : answer()));
    const client = transport(url);
    await Promise.all(ids(2, "a").map((id) => client.send(get(id))));
    await Promise.all(ids(2, "b").map((id) => client.send(get(id))));
    expect(sizes(posts)).toEqual([2, "promise.get", "promise.get", 2]);
  });
});

describe("batching against a Reprise server", () => {
  it("applies the requests of one turn with one store call, each caller getting its own record", async () => {
    const inner = await openStore(":memory:");
    const calls: string[] = [];
    const store: Store = {
      apply: (req, now) => (calls.push(req.kind), inner.apply(req, now)),
      applyBatch: (reqs, now) => (calls.push(`batch of ${reqs.length}`), inner.applyBatch(reqs, now)),
      tick: (now) => inner.tick(now),
      nextDeadline: () => inner.nextDeadline(),
      onMessage: (listener) => inner.onMessage(listener),
      close: () => inner.close(),
    };
    const server = await startTestServer({ store, authToken: "tok" });
    testServers.push(server);
    const client = transport(server.url, { authToken: "tok" });
    const created = await Promise.all(
      ids(50, "real").map((id) =>
        client.send({ kind: "promise.create", head: { corrId: "", version: PROTOCOL_VERSION }, data: { id, timeoutAt: Date.now() + 60_000, param: { data: base64Json(id) }, tags: {} } }),
      ),
    );
    expect(calls).toEqual(["batch of 50"]);
    expect(created.map((a) => dataOf(a).promise.id)).toEqual(ids(50, "real"));
    const alone = await client.send(get("real7"));
    expect(alone.head.status).toBe(200);
    expect(calls).toEqual(["batch of 50", "promise.get"]);
  });
});
