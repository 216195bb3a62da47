/**
 * Auth is off by default, so the server must not be usable from a web page: a forged Host (DNS
 * rebinding) is refused, a cross-origin write is refused, and a REST write must be JSON (a
 * body-less cross-site POST with no content type once resolved a promise).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness.js";
import { rawRequest } from "./raw-http.js";

const create = (server: TestServer, id: string) => server.send("promise.create", { id, timeoutAt: Date.now() + 60_000, param: {}, tags: {} });
const stateOf = async (server: TestServer, id: string) => ((await server.get(`/promises/${id}`)).body.promise as { state: string }).state;

describe("with auth off", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("refuses a Host that is not this machine, but serves loopback names and the health checks", async () => {
    await create(server, "hosted");
    const forged = await rawRequest(server.url, { path: "/promises?id=*", headers: { host: "attacker.example" } });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain("attacker.example");
    expect(forged.body).not.toContain("hosted");
    const port = new URL(server.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `app.localhost:${port}`, "[::1]"]) {
      expect((await rawRequest(server.url, { path: "/promises?id=*", headers: { host } })).status, host).toBe(200);
    }
    expect((await rawRequest(server.url, { path: "/healthz", headers: { host: "10.0.0.7:8001" } })).status).toBe(200);
    expect((await rawRequest(server.url, { path: "/readyz", headers: { host: "10.0.0.7:8001" } })).status).toBe(200);
  });

  it("refuses a cross-origin write, and the protocol answers it in its own shape", async () => {
    await create(server, "csrf");
    const headers = { "content-type": "application/json", origin: "https://evil.example" };
    const rest = await rawRequest(server.url, { method: "POST", path: "/promises/csrf/resolve", headers, body: "{}" });
    expect(rest.status).toBe(403);
    const protocol = await server.send("promise.settle", { id: "csrf", state: "resolved", value: { headers: {}, data: "" } }, { origin: "https://evil.example" });
    expect(protocol.status).toBe(403);
    expect(protocol.body.head?.status).toBe(403);
    expect(await stateOf(server, "csrf")).toBe("pending");
    // `null` is what a sandboxed frame or a file: page sends.
    expect((await rawRequest(server.url, { method: "POST", path: "/promises/csrf/resolve", headers: { ...headers, origin: "null" }, body: "{}" })).status).toBe(403);
    // A read is not refused for its Origin (the browser keeps a cross-origin answer from the page).
    expect((await rawRequest(server.url, { path: "/promises/csrf", headers: { origin: "https://evil.example" } })).status).toBe(200);
  });

  it("accepts a write from the page's own origin", async () => {
    await create(server, "same-origin");
    const host = new URL(server.url).host;
    const answer = await rawRequest(server.url, { method: "POST", path: "/promises/same-origin/resolve", headers: { host, origin: `http://${host}`, "content-type": "application/json" }, body: '{"value":1}' });
    expect(answer.status).toBe(200);
    expect(await stateOf(server, "same-origin")).toBe("resolved");
  });

  it("does not let a body-less POST with no content type settle a promise", async () => {
    await create(server, "simple-post");
    const answer = await rawRequest(server.url, { method: "POST", path: "/promises/simple-post/resolve" });
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { field: "body", message: "body: expected content-type application/json" } });
    const textPlain = await rawRequest(server.url, { method: "POST", path: "/promises/simple-post/resolve", headers: { "content-type": "text/plain" }, body: '{"value":1}' });
    expect(textPlain.status).toBe(415);
    expect(await stateOf(server, "simple-post")).toBe("pending");
  });
});

describe("allowedHosts", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ allowedHosts: ["reprise.internal"] });
  });
  afterAll(() => server.close());

  it("serves the names a deployment allows, at any port, and still refuses others", async () => {
    expect((await rawRequest(server.url, { path: "/promises?id=*", headers: { host: "reprise.internal" } })).status).toBe(200);
    expect((await rawRequest(server.url, { path: "/promises?id=*", headers: { host: "REPRISE.internal:443" } })).status).toBe(200);
    expect((await rawRequest(server.url, { path: "/promises?id=*", headers: { host: "other.internal" } })).status).toBe(403);
  });

  it("with * serves any Host", async () => {
    const open = await startTestServer({ allowedHosts: ["*"] });
    try {
      expect((await rawRequest(open.url, { path: "/promises?id=*", headers: { host: "anything.example" } })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
