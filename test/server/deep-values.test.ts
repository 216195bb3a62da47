/**
 * A REST value nested too deep is refused at the edge with a 400 naming the limit (a resolve nested
 * 20,000 deep once answered 500: a stack overflow in assertSerializable).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, resolveLimits } from "../../src/protocol/limits.js";

const MAX_JSON_DEPTH = DEFAULT_LIMITS.maxJsonDepth;
import { startTestServer, type TestServer } from "./harness.js";
import { nestedArrays } from "./raw-http.js";

const DEEP = 20_000;

describe("deep REST values", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const resolve = (url: string, id: string, body: string) =>
    fetch(`${url}/promises/${id}/resolve`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("refuses a REST resolve nested 20,000 deep with a 400 naming the limit", async () => {
    await server.send("promise.create", { id: "to-resolve", timeoutAt: Date.now() + 60_000, param: { headers: {}, data: "" }, tags: {} });
    const answer = await resolve(server.url, "to-resolve", `{"value":${nestedArrays(DEEP)}}`);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: { field: "body", expected: `JSON nested at most ${MAX_JSON_DEPTH} levels deep` } });
  });

  it("takes the depth of both the body and the stored value from limits.maxJsonDepth", async () => {
    const lenient = await startTestServer({ limits: { maxJsonDepth: 1500 } });
    try {
      await lenient.send("promise.create", { id: "p", timeoutAt: Date.now() + 60_000, param: { headers: {}, data: "" }, tags: {} });
      await lenient.send("promise.create", { id: "q", timeoutAt: Date.now() + 60_000, param: { headers: {}, data: "" }, tags: {} });
      // 1200 levels: past the default, within this server's limit (the body adds one level).
      expect((await resolve(lenient.url, "p", `{"value":${nestedArrays(1200)}}`)).status).toBe(200);
      const deeper = await resolve(lenient.url, "q", `{"value":${nestedArrays(1600)}}`);
      expect(deeper.status).toBe(400);
      expect(await deeper.json()).toMatchObject({ error: { field: "body", expected: "JSON nested at most 1500 levels deep" } });
    } finally {
      await lenient.close();
    }
  });

  it("refuses a depth limit no reader could honour when the limits are read", () => {
    expect(() => resolveLimits({ maxJsonDepth: 5000 })).toThrow(/limits\.maxJsonDepth: expected a whole number of levels from 1 to 2000/);
  });
});
