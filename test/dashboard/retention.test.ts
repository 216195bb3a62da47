/**
 * The execution detail says when a finished execution will be deleted (`purgeAt`), null when it is
 * kept until purged by hand, and nothing while it runs; once purged, the execution is not found.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { ExecutionDetail } from "../../src/dashboard/api-types.js";
import { registerApiRoutes } from "../../src/dashboard/api-routes.js";
import { Reprise, type Context } from "../../src/index.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function* waitForApproval(ctx: Context): Generator<unknown, string, unknown> {
  yield* ctx.sleep(60_000);
  return "approved";
}

function* quick(ctx: Context): Generator<unknown, number, unknown> {
  return yield* ctx.run(() => 42);
}

async function setUp(): Promise<{ reprise: Reprise; store: Store; app: FastifyInstance }> {
  const store = await openStore(":memory:", { retentionMs: 60_000 });
  const reprise = new Reprise({ store, logLevel: "silent" });
  cleanups.push(() => reprise.stop());
  reprise.register(waitForApproval);
  reprise.register(quick);
  reprise.register("forever", quick, { retention: 0 });
  const app = Fastify();
  registerApiRoutes(app, { store });
  cleanups.push(() => app.close());
  return { reprise, store, app };
}

async function detail(app: FastifyInstance, id: string): Promise<ExecutionDetail> {
  const response = await app.inject({ url: `/api/executions/${id}` });
  expect(response.statusCode).toBe(200);
  return response.json<ExecutionDetail>();
}

describe("GET /api/executions/:id: when a finished execution will be deleted", () => {
  it("is absent while the execution runs, its retention's end once it finished, and null when it is kept for ever", async () => {
    const { reprise, app } = await setUp();
    await reprise.beginRun("waiting", waitForApproval);
    await expect.poll(async () => (await detail(app, "waiting")).execution.children.length).toBe(1);
    expect(await detail(app, "waiting")).not.toHaveProperty("purgeAt");

    await reprise.run("done", quick);
    const done = await detail(app, "done");
    expect(done.execution.settledAt).toBeDefined();
    expect(done.purgeAt).toBe(done.execution.settledAt! + 60_000);

    await reprise.run<number>("kept", "forever");
    expect((await detail(app, "kept")).purgeAt).toBeNull();
  });

  it("finds no execution once it was purged", async () => {
    const { reprise, store, app } = await setUp();
    await reprise.run("done", quick);
    const { purgeAt } = await detail(app, "done");
    await store.purge!({ now: purgeAt! });
    const response = await app.inject({ url: "/api/executions/done" });
    expect(response.statusCode).toBe(404);
  });
});
