/**
 * A REST value nested too deep is refused at the edge with a 400 naming the limit (a resolve nested
 * 20,000 deep once answered 500: a stack overflow in assertSerializable).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/protocol/payload.js";
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

  it("refuses a value deeper than storable with a 400 even when the body limit is raised", async () => {
    const lenient = await startTestServer({ maxJsonDepth: 5000 });
    try {
      await lenient.send("promise.create", { id: "p", timeoutAt: Date.now() + 60_000, param: { headers: {}, data: "" }, tags: {} });
      const answer = await resolve(lenient.url, "p", `{"value":${nestedArrays(3000)}}`);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: { field: "value" } });
    } finally {
      await lenient.close();
    }
  });
});
