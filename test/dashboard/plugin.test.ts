import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionDetail, ExecutionPage } from "../../src/dashboard/api-types.js";
import { registerDashboard, type DashboardOptions } from "../../src/dashboard/plugin.js";
import { encodeValue } from "../../src/protocol/codec.js";
import { PROTOCOL_VERSION, type Request } from "../../src/protocol/requests.js";
import { registerAuth } from "../../src/server/auth.js";
import { openStore, type Store } from "../../src/store/index.js";

const TOKEN = "s3cret";
const HOUR = 3_600_000;

let store: Store;
let app: FastifyInstance;
let uiDir: string;

beforeAll(async () => {
  uiDir = mkdtempSync(join(tmpdir(), "reprise-ui-"));
  mkdirSync(join(uiDir, "assets"));
  writeFileSync(join(uiDir, "index.html"), "<!doctype html><title>Reprise</title>");
  writeFileSync(join(uiDir, "assets", "main-abc.js"), "console.log(1)");
  store = await openStore(":memory:");
  app = appWithDashboard({ store, uiDir, foldLimit: 40 }, TOKEN);
  await app.ready();
  await seed();
});

afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(uiDir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await app.inject({ url, headers: auth });
  return { status: response.statusCode, body: response.json<T>() };
}

describe("the page", () => {
  it("serves the built files without a token, hashed assets cached for good", async () => {
    const page = await app.inject({ url: "/dashboard/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.headers["cache-control"]).toBe("no-cache");
    const script = await app.inject({ url: "/dashboard/assets/main-abc.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toContain("text/javascript");
    expect(script.headers["cache-control"]).toContain("immutable");
  });

  it("sends browsers from / and /dashboard to /dashboard/, and tells other clients where things are", async () => {
    const browser = await app.inject({ url: "/", headers: { accept: "text/html,application/xhtml+xml" } });
    expect(browser.statusCode).toBe(302);
    expect(browser.headers.location).toBe("/dashboard/");
    expect((await app.inject({ url: "/dashboard" })).headers.location).toBe("/dashboard/");
    const client = await app.inject({ url: "/", headers: { ...auth, accept: "application/json" } });
    expect(client.statusCode).toBe(404);
    expect(client.json<{ error: { message: string } }>().error.message).toContain("POST /");
  });

  it("refuses paths outside the UI folder and unknown files", async () => {
    expect((await app.inject({ url: "/dashboard/..%2F..%2Fetc%2Fpasswd" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/dashboard/assets/missing.js" })).statusCode).toBe(404);
    expect([400, 404]).toContain((await app.inject({ url: "/dashboard/%E0%A4%A" })).statusCode);
  });

  it("answers a page that says how to build the UI when it is not built", async () => {
    const bare = appWithDashboard({ store, uiDir: join(uiDir, "nowhere") });
    const page = await bare.inject({ url: "/dashboard/" });
    await bare.close();
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain("npm run build:dashboard");
  });
});

describe("the JSON routes", () => {
  it("need the token like every other route", async () => {
    expect((await app.inject({ url: "/api/executions" })).statusCode).toBe(401);
  });

  it("list root executions only, with function, times and duration", async () => {
    const { status, body } = await getJson<ExecutionPage>("/api/executions");
    expect(status).toBe(200);
    expect(body.executions.map((execution) => execution.id)).toEqual(["order-1", "order-2", "ship-1"]);
    const done = body.executions.find((execution) => execution.id === "order-2")!;
    expect(done).toMatchObject({ func: "order", state: "resolved" });
    expect(done.durationMs).toBe(done.settledAt! - done.createdAt);
    expect(body.now).toBeGreaterThan(0);
  });

  it("filter by state, function, id prefix and tag", async () => {
    const ids = async (query: string) => (await getJson<ExecutionPage>(`/api/executions?${query}`)).body.executions.map((e) => e.id);
    expect(await ids("state=pending")).toEqual(["order-1", "ship-1"]);
    expect(await ids("func=ship")).toEqual(["ship-1"]);
    expect(await ids("idPrefix=order-")).toEqual(["order-1", "order-2"]);
    expect(await ids("tag=team%3Dcore")).toEqual(["order-2"]);
  });

  it("page with a cursor", async () => {
    const first = (await getJson<ExecutionPage>("/api/executions?limit=2")).body;
    expect(first.executions.map((e) => e.id)).toEqual(["order-1", "order-2"]);
    expect(first.cursor).toBeDefined();
    const second = (await getJson<ExecutionPage>(`/api/executions?limit=2&cursor=${first.cursor}`)).body;
    expect(second.executions.map((e) => e.id)).toEqual(["ship-1"]);
    expect(second.cursor).toBeUndefined();
  });

  it("refuse a bad filter, naming the field", async () => {
    const { status, body } = await getJson<{ error: { field: string } }>("/api/executions?state=sleepy");
    expect(status).toBe(400);
    expect(body.error.field).toBe("state");
    expect((await getJson<{ error: { field: string } }>("/api/executions?limit=0")).body.error.field).toBe("limit");
    expect((await getJson<{ error: { field: string } }>("/api/executions?tag=novalue")).body.error.field).toBe("tag");
  });

  it("return one execution's tree with decoded, folded values and the promise named by its own id", async () => {
    const { status, body } = await getJson<ExecutionDetail>("/api/executions/order-1");
    expect(status).toBe(200);
    const root = body.execution;
    expect(root).toMatchObject({ id: "order-1", kind: "root", func: "order", state: "pending" });
    expect(root.children.map((child) => child.id)).toEqual(["order-1.1", "approve-1"]);
    const step = root.children[0]!;
    expect(step).toMatchObject({ kind: "step", func: "charge", attempts: 2, state: "resolved" });
    expect(step.value).toMatchObject({ folded: true, size: 202 });
    expect(body.truncated).toBe(false);
  });

  it("return a folded value whole on demand", async () => {
    const { body } = await getJson<{ value: { text: string; folded: boolean } }>("/api/promises/order-1.1/values");
    expect(body.value.folded).toBe(false);
    expect(body.value.text).toBe(JSON.stringify("z".repeat(200)));
  });

  it("answer 404 for an unknown execution", async () => {
    expect((await getJson("/api/executions/nope")).status).toBe(404);
    expect((await getJson("/api/promises/nope/values")).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------

/** The dashboard on a bare app with the server's auth: no other routes, so nothing else answers. */
function appWithDashboard(options: DashboardOptions, token?: string): FastifyInstance {
  const bare = Fastify();
  registerAuth(bare, token);
  registerDashboard(bare, options);
  return bare;
}

async function seed(): Promise<void> {
  const root = (id: string, func: string, extra: Record<string, string> = {}) =>
    create(id, encodeValue({ func, args: [], version: 1 }), {
      ...extra,
      "resonate:scope": "global",
      "resonate:origin": id,
      "reprise:kind": "root",
      "reprise:func": func,
    });
  await root("order-1", "order");
  await root("order-2", "order", { team: "core" });
  await root("ship-1", "ship");
  await create("order-1.1", encodeValue({ func: "charge", args: [1], version: 1 }), { "reprise:kind": "step", "reprise:func": "charge", "resonate:origin": "order-1", "resonate:parent": "order-1" });
  await create("approve-1", {}, { "reprise:kind": "promise", "reprise:func": "promise", "resonate:origin": "order-1", "resonate:parent": "order-1" });
  await apply({ kind: "promise.settle", head: head(), data: { id: "order-1.1", state: "resolved", value: { ...encodeValue("z".repeat(200)), headers: { "reprise:attempts": "2" } } } });
  await apply({ kind: "promise.settle", head: head(), data: { id: "order-2", state: "resolved", value: encodeValue("done") } });
}

async function create(id: string, param: { headers?: Record<string, string>; data?: string }, tags: Record<string, string>): Promise<void> {
  await apply({ kind: "promise.create", head: head(), data: { id, timeoutAt: Date.now() + HOUR, param, tags } });
}

async function apply(request: Request): Promise<void> {
  const response = await store.apply(request);
  if (response.head.status !== 200) throw new Error(`${request.kind} failed: ${String(response.data)}`);
}

function head() {
  return { corrId: "test", version: PROTOCOL_VERSION };
}
