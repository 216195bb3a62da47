/**
 * A server on PostgreSQL counts its speculative transactions on /metrics, by outcome: a task's
 * steps are committed in one statement each once the server knows the task and its root.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { buildApp } from "../../src/server/app.js";
import { openStore } from "../../src/store/index.js";
import { parseExposition, sampleKey } from "../observability/support/prometheus-text.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "../store/postgres-support.js";

const available = await postgresAvailable();
const head = { corrId: "speculation-metrics", version: PROTOCOL_VERSION };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe.runIf(available)("speculative transactions on /metrics", () => {
  it("counts each batch by how its speculation ended", async () => {
    const schema = freshSchemaName();
    const store = await openStore(PG_URL, { postgres: { schema } });
    const app = await buildApp({ store });
    await app.ready();
    closers.push(async () => {
      await app.close();
      await store.close();
      await dropSchema(schema);
    });
    const speculations = async (outcome: string) => {
      const { samples } = parseExposition((await app.inject({ url: "/metrics" })).body);
      return samples.get(sampleKey("reprise_store_speculations_total", { outcome })) ?? 0;
    };
    const send = async (kind: string, data: unknown) => (await app.inject({ method: "POST", url: "/", payload: { kind, head, data } })).json();

    const create = { kind: "promise.create", head, data: { id: "wf", timeoutAt: Date.now() + 60_000, param: {}, tags: { "resonate:target": "poll://any@workers" } } };
    // Creating and acquiring reads the execution's range: not speculated.
    expect(await send("task.create", { pid: "w1", ttl: 60_000, action: create })).toMatchObject({ head: { status: 200 } });
    const missed = await speculations("missed");
    expect(missed).toBeGreaterThan(0);
    for (let n = 0; n < 3; n++) {
      const step = { kind: "promise.create", head, data: { id: `wf.${n}`, timeoutAt: Date.now() + 60_000, param: {}, tags: {}, result: { state: "resolved", value: {} } } };
      expect(await send("task.fence", { id: "wf", version: 1, action: step })).toMatchObject({ head: { status: 200 } });
    }
    expect(await speculations("committed")).toBe(3);
    expect(await speculations("stale")).toBe(0);
  });
});
