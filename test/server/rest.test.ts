/** The REST face: the same rules as the protocol, in an envelope for people and scripts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { base64Json, fromBase64Json, startTestServer, type TestServer } from "./harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const create = (id: string, tags: Record<string, string> = {}) =>
    server.send("promise.create", { id, timeoutAt: Date.now() + 60_000, param: { data: base64Json({ func: "f", args: [] }) }, tags: { [TAG.scope]: "global", ...tags } });
  await create("wf", { [TAG.func]: "signup", [TAG.kind]: "root", team: "core" });
  await create("wf.1", { [TAG.kind]: "step" });
  await create("wf.2", { [TAG.kind]: "sleep" });
  await create("wf.1.1", { [TAG.kind]: "step" });
  await create("wf.10", { [TAG.kind]: "step" });
  await create("other", { team: "edge" });
});
afterAll(async () => {
  await server.close();
});

describe("promises", () => {
  it("GET /promises/:id returns the record, or 404 with a message", async () => {
    const found = await server.get("/promises/wf");
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ promise: { id: "wf", state: "pending" } });
    const missing = await server.get("/promises/nope");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { message: expect.any(String) } });
  });

  it("GET /promises searches by id glob, state and tags", async () => {
    const byTag = await server.get("/promises?tags[team]=core");
    expect((byTag.body.promises as { id: string }[]).map((p) => p.id)).toEqual(["wf"]);
    const byId = await server.get(`/promises?id=${encodeURIComponent("wf.1*")}&state=pending&limit=10`);
    expect((byId.body.promises as { id: string }[]).map((p) => p.id)).toEqual(["wf.1", "wf.1.1", "wf.10"]);
  });

  it("refuses a bad query naming the parameter", async () => {
    const refused = await server.get("/promises?limit=lots");
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { field: "limit", expected: "a whole number from 1 to 1000" } });
    expect((await server.get("/promises?state=sleeping")).body).toMatchObject({ error: { field: "state" } });
  });

  it("POST /promises/:id/resolve stores the value as the SDK codec does", async () => {
    await server.send("promise.create", { id: "signal", timeoutAt: Date.now() + 60_000, param: {}, tags: {} });
    const resolved = await fetch(`${server.url}/promises/signal/resolve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: { approved: true } }),
    });
    expect(resolved.status).toBe(200);
    const { promise } = (await resolved.json()) as { promise: { state: string; value: { data: string } } };
    expect(promise.state).toBe("resolved");
    expect(fromBase64Json(promise.value.data)).toEqual({ approved: true });
  });

  it("POST /promises/:id/reject and /cancel settle; an empty JSON body is allowed; unknown actions are 404", async () => {
    for (const id of ["to-reject", "to-cancel"]) await server.send("promise.create", { id, timeoutAt: Date.now() + 60_000, param: {}, tags: {} });
    // A REST write says it is JSON even when empty (test/server/request-guard.test.ts says why).
    const json = { "content-type": "application/json" };
    const rejected = await fetch(`${server.url}/promises/to-reject/reject`, { method: "POST", headers: json });
    expect(await rejected.json()).toMatchObject({ promise: { state: "rejected" } });
    const canceled = await fetch(`${server.url}/promises/to-cancel/cancel`, { method: "POST", headers: json });
    expect(await canceled.json()).toMatchObject({ promise: { state: "rejected_canceled" } });
    expect((await fetch(`${server.url}/promises/to-cancel/explode`, { method: "POST", headers: json })).status).toBe(404);
    expect((await fetch(`${server.url}/promises/missing/resolve`, { method: "POST", headers: json })).status).toBe(404);
  });

  it("GET /promises/:id/tree returns the call tree", async () => {
    const answer = await server.get("/promises/wf/tree");
    expect(answer.status).toBe(200);
    const tree = answer.body.tree as { id: string; func: string; children: { id: string; kind: string; children: { id: string }[] }[] };
    expect(tree).toMatchObject({ id: "wf", func: "signup", kind: "root" });
    expect(tree.children.map((c) => c.id)).toEqual(["wf.1", "wf.2", "wf.10"]);
    expect(tree.children[0]!.children.map((c) => c.id)).toEqual(["wf.1.1"]);
    expect(answer.body.truncated).toBe(false);
    expect((await server.get("/promises/nope/tree")).status).toBe(404);
  });
});

describe("tasks, schedules, workers, health", () => {
  it("GET /tasks lists tasks by state", async () => {
    await server.send("promise.create", { id: "task-root", timeoutAt: Date.now() + 60_000, param: {}, tags: { [TAG.target]: "poll://any@nobody" } });
    const tasks = await server.get("/tasks?state=pending");
    expect(tasks.status).toBe(200);
    expect((tasks.body.tasks as { id: string; state: string }[]).some((t) => t.state === "pending")).toBe(true);
  });

  it("GET /schedules lists schedules", async () => {
    await server.post({
      kind: "schedule.create",
      head: { corrId: "s", version: PROTOCOL_VERSION },
      data: { id: "hourly", cron: "0 * * * *", promiseId: "hourly-{{.timestamp}}", promiseTimeout: 1000, promiseParam: {}, promiseTags: { [TAG.target]: "g" } },
    });
    expect((await server.get("/schedules")).body).toMatchObject({ schedules: [{ id: "hourly", cron: "0 * * * *" }] });
  });

  it("reads and settles an id of the largest length, with spaces and any script, escaped in the URL (no 414)", async () => {
    const id = `注文 42 ${"x".repeat(2048 - 6)}`;
    expect(id).toHaveLength(2048);
    expect((await server.send("promise.create", { id, timeoutAt: Date.now() + 60_000, param: {}, tags: {} })).status).toBe(200);
    const path = `/promises/${encodeURIComponent(id)}`;
    expect(await server.get(path)).toMatchObject({ status: 200, body: { promise: { id, state: "pending" } } });
    const settled = await fetch(`${server.url}${path}/resolve`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(settled.status).toBe(200);
  });

  it("GET /workers is empty with no worker connected", async () => {
    expect((await server.get("/workers")).body).toEqual({ workers: [] });
  });

  it("GET /healthz and /readyz answer, and the reference server's /health and /ready", async () => {
    expect(await server.get("/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await server.get("/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
    expect(await server.get("/health")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await server.get("/ready")).toMatchObject({ status: 200, body: { status: "ready" } });
  });

  it("GET /readyz says 503 once the store cannot answer", async () => {
    const local = await startTestServer();
    await local.store.close();
    expect((await local.get("/readyz")).status).toBe(503);
    await local.app.close();
  });
});
