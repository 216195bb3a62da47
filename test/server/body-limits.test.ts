/**
 * What an unauthenticated or hostile body may cost: a body is not parsed before the token is
 * checked (unless it is small enough to carry the token itself), and a body nested deeper than
 * the limit is refused by a linear scan before JSON.parse sees it. "Before parsing" is asserted
 * by watching JSON.parse, not by timing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";

const MAX_JSON_DEPTH = DEFAULT_LIMITS.maxJsonDepth;
import { UNAUTHENTICATED_BODY_LIMIT } from "../../src/server/auth.js";
import { startTestServer, type TestServer } from "./harness.js";
import { nestedArrays, rawRequest } from "./raw-http.js";

const TOKEN = "s3cret";
const HUGE_DEPTH = 1_000_000; // 2 MB of brackets: ~1 s of CPU in JSON.parse before the fix

/** Spies on JSON.parse; `parsedLongerThan(n)` tells whether it was given a text of more than n characters. */
function watchJsonParse() {
  const spy = vi.spyOn(JSON, "parse");
  return { parsedLongerThan: (n: number) => spy.mock.calls.some(([text]) => typeof text === "string" && text.length > n) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("auth before the body", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ authToken: TOKEN });
  });
  afterAll(() => server.close());

  it("refuses a large body without an Authorization header before reading it", async () => {
    const watch = watchJsonParse();
    const body = `{"kind":"promise.get","head":{"corrId":"c","version":"${PROTOCOL_VERSION}"},"data":${nestedArrays(HUGE_DEPTH)}}`;
    const answer = await rawRequest(server.url, { method: "POST", path: "/", headers: { "content-type": "application/json" }, body });
    expect(answer.status).toBe(401);
    expect(answer.body).toContain("Authorization: Bearer");
    expect(watch.parsedLongerThan(UNAUTHENTICATED_BODY_LIMIT)).toBe(false);
  });

  it("refuses a wrong Authorization header on a REST write before reading its body", async () => {
    const watch = watchJsonParse();
    const body = `{"value":${nestedArrays(10_000)}}`;
    const answer = await rawRequest(server.url, { method: "POST", path: "/promises/x/resolve", headers: { "content-type": "application/json", authorization: "Bearer nope" }, body });
    expect(answer.status).toBe(401);
    expect(watch.parsedLongerThan(10_000)).toBe(false);
  });

  it("still takes the token from head.auth in a small body, and in a large one with the header", async () => {
    const small = await server.post({ kind: "promise.get", head: { corrId: "c", version: PROTOCOL_VERSION, auth: TOKEN }, data: { id: "missing" } });
    expect(small.status).toBe(404);
    const padding = "x".repeat(UNAUTHENTICATED_BODY_LIMIT);
    const create = { kind: "promise.create", head: { corrId: "c", version: PROTOCOL_VERSION, auth: TOKEN }, data: { id: "big", timeoutAt: Date.now() + 60_000, param: { headers: {}, data: Buffer.from(JSON.stringify(padding)).toString("base64") }, tags: {} } };
    expect((await server.post(create)).status).toBe(401);
    expect((await server.post(create, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });
});

describe("JSON depth", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("refuses a body nested a million levels deep without parsing it, naming the limit", async () => {
    const watch = watchJsonParse();
    const answer = await rawRequest(server.url, { method: "POST", path: "/", headers: { "content-type": "application/json" }, body: nestedArrays(HUGE_DEPTH) });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ head: { status: 400 }, error: { field: "body", expected: `JSON nested at most ${MAX_JSON_DEPTH} levels deep` } });
    expect(watch.parsedLongerThan(2 * HUGE_DEPTH - 1)).toBe(false);
  });

  it("takes the limit from maxJsonDepth, and counts brackets inside strings as text", async () => {
    const shallow = await startTestServer({ limits: { maxJsonDepth: 8 } });
    try {
      const request = (data: unknown) => shallow.send("promise.get", data as { id: string });
      expect((await request({ id: "[[[[[[[[[[[[" })).status).toBe(404);
      const deep = await request({ id: "x", extra: [[[[[[[[1]]]]]]]] } as unknown as { id: string });
      expect(deep.status).toBe(400);
      expect(deep.body.error).toMatchObject({ expected: "JSON nested at most 8 levels deep" });
    } finally {
      await shallow.close();
    }
  });
});
