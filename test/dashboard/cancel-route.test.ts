/** `POST /api/executions/:id/cancel`: the dashboard's cancel button, against a real store. */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CancelAnswer } from "../../src/dashboard/api-types.js";
import { rootTags } from "../../src/protocol/calls.js";
import { PROTOCOL_VERSION, type RequestKind, type RequestOf } from "../../src/protocol/requests.js";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { buildApp } from "../../src/server/app.js";
import { openStore, type Store } from "../../src/store/index.js";

let store: Store;
let app: FastifyInstance;

beforeAll(async () => {
  store = await openStore(":memory:");
  app = await buildApp({ store });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await store.close();
});

async function apply<K extends RequestKind>(kind: K, data: RequestOf<K>["data"]) {
  return store.apply({ kind, head: { corrId: "test", version: PROTOCOL_VERSION }, data } as RequestOf<K>);
}

async function execution(id: string): Promise<void> {
  await apply("promise.create", { id, timeoutAt: Date.now() + 3_600_000, param: {}, tags: rootTags("f", "poll://any@nobody", id) });
}

async function promise(id: string): Promise<PromiseRecord | undefined> {
  const answer = await apply("promise.get", { id });
  return answer.head.status === 200 ? (answer.data as { promise: PromiseRecord }).promise : undefined;
}

const cancel = (id: string, body?: unknown) =>
  app.inject({ method: "POST", url: `/api/executions/${encodeURIComponent(id)}/cancel`, payload: (body ?? {}) as object });

describe("POST /api/executions/:id/cancel", () => {
  it("records the request, with its reason, and wakes the execution's task", async () => {
    await execution("dash-1");
    const first = await cancel("dash-1", { reason: "from the dashboard" });
    expect(first.statusCode).toBe(200);
    expect(first.json<CancelAnswer>()).toMatchObject({ id: "dash-1", outcome: "requested" });
    const request = await promise("dash-1.cancel");
    expect(request).toMatchObject({ state: "resolved", tags: { "reprise:kind": "cancel" } });
    expect(JSON.parse(Buffer.from(request!.param.data!, "base64").toString())).toBe("from the dashboard");
    // Said so, and changed nothing, the second time.
    const second = await cancel("dash-1");
    expect(second.json<CancelAnswer>()).toMatchObject({ outcome: "already-requested" });
  });

  it("says a finished execution had finished", async () => {
    await execution("dash-2");
    await apply("promise.settle", { id: "dash-2", state: "resolved", value: {} });
    const answer = await cancel("dash-2");
    expect(answer.statusCode).toBe(200);
    expect(answer.json<CancelAnswer>()).toMatchObject({ outcome: "finished", state: "resolved" });
    expect(await promise("dash-2.cancel")).toBeUndefined();
  });

  it("refuses an unknown id (404), a plain promise (409) and a reason that is not a string (400), changing nothing", async () => {
    expect((await cancel("nobody")).statusCode).toBe(404);
    await apply("promise.create", { id: "plain", timeoutAt: Date.now() + 60_000, param: {}, tags: {} });
    const plain = await cancel("plain");
    expect(plain.statusCode).toBe(409);
    expect(plain.json<{ error: { message: string } }>().error.message).toContain("not an execution");
    await execution("dash-3");
    const bad = await cancel("dash-3", { reason: 42 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { field: string } }>().error.field).toBe("reason");
    expect(await promise("dash-3.cancel")).toBeUndefined();
    expect((await promise("plain"))?.state).toBe("pending");
  });
});
