/** Bearer-token auth: off by default; when on, every route but the health checks needs the token. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { HttpTransport, UnexpectedAnswerError } from "../../src/transport/http.js";
import { startTestServer, type TestServer } from "./harness.js";

const TOKEN = "s3cret-token";
const bearer = { authorization: `Bearer ${TOKEN}` };

describe("auth on", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ authToken: TOKEN });
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses a protocol request without a token with a protocol-shaped 401", async () => {
    const refused = await server.post({ kind: "promise.get", head: { corrId: "c1", version: PROTOCOL_VERSION }, data: { id: "x" } });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ kind: "promise.get", head: { corrId: "c1", status: 401 }, data: "missing bearer token" });
  });

  it("refuses a wrong token", async () => {
    const refused = await server.send("promise.get", { id: "x" }, { authorization: "Bearer nope" });
    expect(refused.status).toBe(401);
    expect(refused.body.data).toBe("invalid bearer token");
  });

  it("accepts the token as a bearer header or as head.auth", async () => {
    expect((await server.send("promise.get", { id: "x" }, bearer)).status).toBe(404);
    const viaHead = await server.post({ kind: "promise.get", head: { corrId: "c2", version: PROTOCOL_VERSION, auth: TOKEN }, data: { id: "x" } });
    expect(viaHead.status).toBe(404);
  });

  it("guards the REST face and worker streams", async () => {
    expect((await server.get("/promises/x")).status).toBe(401);
    expect((await server.get("/promises/x", bearer)).status).toBe(404);
    expect((await fetch(`${server.url}/poll/g/p`)).status).toBe(401);
  });

  it("leaves the health checks open", async () => {
    expect((await server.get("/healthz")).status).toBe(200);
    expect((await server.get("/readyz")).status).toBe(200);
    expect((await server.get("/health")).status).toBe(200);
    expect((await server.get("/ready")).status).toBe(200);
  });

  it("works through HttpTransport with the token, and fails a subscription without it", async () => {
    const authorized = new HttpTransport({ url: server.url, authToken: TOKEN });
    await authorized.subscribe("g", "p", () => {});
    expect((await authorized.send({ kind: "promise.get", head: { corrId: "", version: PROTOCOL_VERSION }, data: { id: "x" } })).head.status).toBe(404);
    await authorized.close();

    const anonymous = new HttpTransport({ url: server.url });
    await expect(anonymous.subscribe("g", "p", () => {})).rejects.toBeInstanceOf(UnexpectedAnswerError);
    expect((await anonymous.send({ kind: "promise.get", head: { corrId: "", version: PROTOCOL_VERSION }, data: { id: "x" } })).head.status).toBe(401);
    await anonymous.close();
  });
});

describe("auth off", () => {
  it("needs no token", async () => {
    const server = await startTestServer();
    try {
      expect((await server.send("promise.get", { id: "x" })).status).toBe(404);
      expect((await server.get("/promises/x")).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
