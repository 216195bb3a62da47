import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Reprise, type Context } from "../../src/index.js";
import { meterStore } from "../../src/observability/metered-store.js";
import { registerMetrics } from "../../src/observability/metrics-route.js";
import { Metrics } from "../../src/observability/metrics.js";
import { openStore, type Store } from "../../src/store/index.js";
import { parseExposition, sampleKey, type Exposition } from "./support/prometheus-text.js";

let store: Store;
let app: FastifyInstance;
let reprise: Reprise;

beforeAll(async () => {
  const metrics = new Metrics();
  store = meterStore(await openStore(":memory:"), metrics);
  app = Fastify();
  registerMetrics(app, { store, metrics });
  await app.ready();
  reprise = new Reprise({ store, logLevel: "silent" });
});

afterAll(async () => {
  await app.close();
  await reprise.stop(); // closes the store
});

async function scrape(): Promise<Exposition> {
  const response = await app.inject({ url: "/metrics" });
  expect(response.statusCode).toBe(200);
  expect(response.headers["content-type"]).toContain("text/plain");
  return parseExposition(response.body);
}

let attempts = 0;
async function flakyLookup(_ctx: Context, sku: string) {
  attempts++;
  if (attempts === 1) throw new Error("lookup timed out");
  return { sku, price: 125 };
}

function* checkout(ctx: Context, sku: string) {
  const item = yield* ctx.run(flakyLookup, sku);
  return item.price;
}

function* refund(): Generator<never, never, unknown> {
  throw new Error("nothing to refund");
}

function* reminder(ctx: Context) {
  yield* ctx.sleep(60 * 60_000);
}

describe("GET /metrics", () => {
  it("answers well-formed Prometheus text with every Reprise metric declared", async () => {
    const { types } = await scrape();
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith("reprise_")))).toEqual({
      reprise_executions_started_total: "counter",
      reprise_executions_completed_total: "counter",
      reprise_executions_failed_total: "counter",
      reprise_steps_total: "counter",
      reprise_step_duration_seconds: "histogram",
      reprise_tasks_acquired_total: "counter",
      reprise_lease_expiries_total: "counter",
      reprise_store_write_duration_seconds: "histogram",
      reprise_store_speculations_total: "counter",
      reprise_pending_timers: "gauge",
      reprise_tasks_in_backoff: "gauge",
      reprise_flow_queued: "gauge",
      reprise_flow_running: "gauge",
    });
  });

  it("moves when workflows run: executions, steps, step latency, tasks, store writes, pending timers", async () => {
    reprise.register("checkout", checkout);
    reprise.register("refund", refund);
    reprise.register("reminder", reminder);
    await reprise.run("checkout-1", "checkout", "sku-1");
    await reprise.run("checkout-1", "checkout", "sku-1"); // the same execution again: counted once
    await expect(reprise.run("refund-1", "refund")).rejects.toThrow("nothing to refund");
    await reprise.beginRun("reminder-1", "reminder");
    await expect.poll(async () => (await scrape()).samples.get("reprise_pending_timers"), { timeout: 10_000 }).toBe(1);

    const { samples } = await scrape();
    const value = (name: string, labels?: Record<string, string>) => samples.get(sampleKey(name, labels));
    expect(value("reprise_executions_started_total", { func: "checkout" })).toBe(1);
    expect(value("reprise_executions_started_total", { func: "reminder" })).toBe(1);
    expect(value("reprise_executions_completed_total", { func: "checkout" })).toBe(1);
    expect(value("reprise_executions_failed_total", { func: "refund", state: "rejected" })).toBe(1);
    expect(value("reprise_steps_total", { func: "flakyLookup", state: "resolved" })).toBe(1);
    expect(value("reprise_step_duration_seconds_count", { func: "flakyLookup" })).toBe(1);
    // The first attempt failed and the retry waited 100 ms: the latency includes it (timers may
    // fire a millisecond early by the wall clock, hence the margin).
    expect(value("reprise_step_duration_seconds_sum", { func: "flakyLookup" })).toBeGreaterThanOrEqual(0.09);
    expect(value("reprise_tasks_acquired_total")).toBe(3);
    expect(value("reprise_store_write_duration_seconds_count", { kind: "task.fulfill" })).toBe(2);
    expect(value("reprise_lease_expiries_total")).toBe(0);
  });
});

describe("Metrics", () => {
  it("records events called directly, for hooks the store cannot see", async () => {
    const metrics = new Metrics();
    metrics.leaseExpired(2);
    metrics.executionSettled("nightly", "rejected_timedout", 5_000);
    const { samples } = parseExposition(await metrics.scrape());
    expect(samples.get("reprise_lease_expiries_total")).toBe(2);
    expect(samples.get(sampleKey("reprise_executions_failed_total", { func: "nightly", state: "rejected_timedout" }))).toBe(1);
    expect(samples.get("reprise_pending_timers")).toBe(0);
  });

  it("keeps each instance's metrics apart, so two servers in one process do not collide", () => {
    expect(() => [new Metrics(), new Metrics()]).not.toThrow();
  });
});
