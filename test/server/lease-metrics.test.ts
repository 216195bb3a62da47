/** The server counts lease expiries on /metrics: a worker that stops heartbeating loses its task. */
import { afterEach, describe, expect, it } from "vitest";
import { dataOf, PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { buildApp } from "../../src/server/app.js";
import { openStore } from "../../src/store/index.js";
import { parseExposition, sampleKey } from "../observability/support/prometheus-text.js";

const head = { corrId: "lease-metrics", version: PROTOCOL_VERSION };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe("lease expiries on /metrics", () => {
  it("go up by one when an acquired task's lease runs out", async () => {
    const store = await openStore(":memory:");
    const app = await buildApp({ store, ticker: { maxIntervalMs: 20 } });
    await app.ready();
    closers.push(async () => {
      await app.close();
      await store.close();
    });
    const expiries = async () => {
      const { samples } = parseExposition((await app.inject({ url: "/metrics" })).body);
      return samples.get(sampleKey("reprise_lease_expiries_total")) ?? 0;
    };
    expect(await expiries()).toBe(0);

    const create = { kind: "promise.create" as const, head, data: { id: "leased-1", timeoutAt: Date.now() + 60_000, param: {}, tags: { "resonate:target": "poll://any@workers" } } };
    const created = await app.inject({ method: "POST", url: "/", payload: { kind: "task.create", head, data: { pid: "w1", ttl: 50, action: create } } });
    expect(created.json()).toMatchObject({ head: { status: 200 }, data: { task: { state: "acquired" } } });

    const deadline = Date.now() + 5_000;
    while ((await expiries()) < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await expiries()).toBe(1);
    const task = dataOf(await store.apply({ kind: "task.get", head, data: { id: "leased-1" } })).task;
    expect(task.state).toBe("pending");
  });
});
