/**
 * The execution detail route on executions a real Reprise ran (issue 12): the timer that lost a
 * race is marked not awaited once the execution ended, instead of "pending · wakes in 50s", and the
 * detail carries the task (its holder, and how often it was picked up).
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { ExecutionDetail, ExecutionNode } from "../../src/dashboard/api-types.js";
import { registerApiRoutes } from "../../src/dashboard/api-routes.js";
import { Reprise, type Context } from "../../src/index.js";
import { openStore } from "../../src/store/index.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function* approveOrExpire(ctx: Context): Generator<unknown, string, unknown> {
  const approval = yield* ctx.promise<string>({ id: "approval-1" });
  const deadline = yield* ctx.timer(60_000);
  const first = yield* ctx.race<unknown>([approval, deadline]);
  return first.index === 0 ? `approved by ${String(first.value)}` : "expired";
}

function find(node: ExecutionNode, id: string): ExecutionNode | undefined {
  if (node.id === id) return node;
  for (const child of node.children) {
    const found = find(child, id);
    if (found) return found;
  }
  return undefined;
}

async function setUp(): Promise<{ reprise: Reprise; app: FastifyInstance }> {
  const store = await openStore(":memory:");
  const reprise = new Reprise({ store, logLevel: "silent" });
  cleanups.push(() => reprise.stop());
  const app = Fastify();
  registerApiRoutes(app, { store });
  cleanups.push(() => app.close());
  return { reprise, app };
}

async function detail(app: FastifyInstance, id: string): Promise<ExecutionDetail> {
  const response = await app.inject({ url: `/api/executions/${id}` });
  expect(response.statusCode).toBe(200);
  return response.json<ExecutionDetail>();
}

describe("GET /api/executions/:id", () => {
  it("marks the losing timer of a finished race as not awaited, and reports the task's runs", async () => {
    const { reprise, app } = await setUp();
    reprise.register(approveOrExpire);
    const handle = await reprise.beginRun("order-1", approveOrExpire);
    // Waiting: the timer is the live other side of the race (recorded once decided), counted down as before.
    await until(async () => (await detail(app, "order-1")).task?.state === "suspended");
    const waiting = await detail(app, "order-1");
    expect(find(waiting.execution, "order-1.2")).toMatchObject({ kind: "sleep", state: "pending" });
    expect(find(waiting.execution, "order-1.2")!.notAwaited).toBeUndefined();
    expect(waiting.task).toMatchObject({ runs: 1, takenOver: 0 });

    await reprise.promises.resolve("approval-1", "ada");
    expect(await handle.result()).toBe("approved by ada");
    const done = await detail(app, "order-1");
    expect(find(done.execution, "order-1.2")).toMatchObject({ state: "pending", notAwaited: { reason: "ended", by: "order-1" } });
    expect(done.task).toMatchObject({ state: "fulfilled", runs: 2, waits: 1, takenOver: 0 });
  });
});

/** Polls `check` (bounded), for what a run makes happen in the background. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("condition not reached in 500 polls");
}
