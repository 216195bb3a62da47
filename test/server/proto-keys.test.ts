/**
 * `__proto__` as a key: assigning it sets a prototype instead of a property, so a tag filter
 * `?tags[__proto__]=x` was silently dropped (the search answered everything), and a JSON body
 * holding such a key was called "not a valid JSON document". Both are now refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { startTestServer, type TestServer } from "./harness.js";
import { rawRequest } from "./raw-http.js";

describe("__proto__ keys", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await server.send("promise.create", { id: "tagged", timeoutAt: Date.now() + 60_000, param: { headers: {}, data: "" }, tags: { env: "prod" } });
  });
  afterAll(() => server.close());

  it("refuses ?tags[__proto__]= on /promises and /schedules with a 400 naming the key, not an unfiltered answer", async () => {
    for (const path of ["/promises?id=*&tags[__proto__]=x", "/schedules?tags[__proto__]=x"]) {
      const answer = await server.get(path);
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toMatchObject({ error: { field: "tags[__proto__]", expected: "a tag key other than __proto__" } });
    }
  });

  it("still filters by ordinary keys, including ones named like Object's own properties", async () => {
    const prod = await server.get("/promises?id=*&tags[env]=prod");
    expect((prod.body.promises as unknown[]).length).toBe(1);
    const constructor = await server.get("/promises?id=*&tags[constructor]=x");
    expect(constructor.status).toBe(200);
    expect(constructor.body.promises).toEqual([]);
  });

  it("refuses ?tag=__proto__=x on the dashboard's /api/executions", async () => {
    const answer = await server.get("/api/executions?tag=__proto__=x");
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { field: "tag", expected: "key=value with a key other than __proto__" } });
  });

  it("says why a body with a __proto__ key is refused", async () => {
    const head = `{"corrId":"c","version":"${PROTOCOL_VERSION}"}`;
    const body = `{"kind":"promise.create","head":${head},"data":{"id":"p","timeoutAt":1,"param":{"headers":{},"data":""},"tags":{"__proto__":"x"}}}`;
    const answer = await rawRequest(server.url, { method: "POST", path: "/", headers: { "content-type": "application/json" }, body });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ head: { status: 400, corrId: "" }, error: { field: "body", expected: "no key named __proto__ (it would rewrite an object's prototype)" } });
    const escaped = body.replace('"__proto__"', '"\\u005f_proto__"');
    expect(JSON.parse((await rawRequest(server.url, { method: "POST", path: "/", headers: { "content-type": "application/json" }, body: escaped })).body)).toMatchObject({ error: { field: "body" } });
  });
});
