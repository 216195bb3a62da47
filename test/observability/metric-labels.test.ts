/**
 * `/metrics` labels come from a bounded set: a client picks `reprise:func`, so distinct names past
 * the cap read as `other` (issue 11, item 4: 2,000 distinct tags grew a scrape to 146 MB).
 */
import { randomUUID } from "node:crypto";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { MAX_FUNC_LABELS, MAX_LABEL_LENGTH, OTHER_LABEL } from "../../src/observability/bounded-labels.js";
import { meterStore } from "../../src/observability/metered-store.js";
import { registerMetrics } from "../../src/observability/metrics-route.js";
import { Metrics } from "../../src/observability/metrics.js";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { openStore } from "../../src/store/index.js";
import { parseExposition, sampleKey } from "./support/prometheus-text.js";

const STARTED = "reprise_executions_started_total";

/** The `func` label values of the started-executions counter in a scrape. */
function funcLabels(text: string): Map<string, number> {
  const { samples } = parseExposition(text);
  const funcs = new Map<string, number>();
  for (const [key, value] of samples) {
    const match = new RegExp(`^${STARTED}\\{func="(.*)"\\}$`).exec(key);
    if (match) funcs.set(match[1]!, value);
  }
  return funcs;
}

describe("function labels", () => {
  it("keep the first MAX_FUNC_LABELS distinct names and count every later one as other, over the wire", async () => {
    const metrics = new Metrics();
    const store = meterStore(await openStore(":memory:"), metrics);
    const app = Fastify();
    registerMetrics(app, { store, metrics });
    try {
      const extra = 50;
      for (let n = 0; n < MAX_FUNC_LABELS + extra; n++) {
        const response = await store.apply({
          kind: "promise.create",
          head: { corrId: randomUUID(), version: PROTOCOL_VERSION },
          data: { id: `root-${n}`, timeoutAt: Date.now() + 60_000, param: {}, tags: { [TAG.kind]: "root", [TAG.func]: `client-chosen-${n}` } },
        });
        expect(response.head.status).toBe(200);
      }
      const scrape = await app.inject({ url: "/metrics" });
      const funcs = funcLabels(scrape.body);
      expect(funcs.size).toBe(MAX_FUNC_LABELS + 1);
      expect(funcs.get("client-chosen-0")).toBe(1);
      expect(funcs.get(OTHER_LABEL)).toBe(extra);
      // Nothing is lost: the counts still add up to every execution started.
      expect([...funcs.values()].reduce((a, b) => a + b, 0)).toBe(MAX_FUNC_LABELS + extra);
    } finally {
      await app.close();
      await store.close();
    }
  });

  it("hold a name seen before the cap filled, and send over-long names and later names to other", async () => {
    const metrics = new Metrics(undefined, { maxFuncLabels: 2 });
    metrics.executionStarted("a");
    metrics.executionStarted("x".repeat(MAX_LABEL_LENGTH + 1));
    metrics.executionStarted("b");
    metrics.executionStarted("c");
    metrics.stepSettled("d", "resolved", 5);
    metrics.executionStarted("a");
    const { samples } = parseExposition(await metrics.scrape());
    expect(samples.get(sampleKey(STARTED, { func: "a" }))).toBe(2);
    expect(samples.get(sampleKey(STARTED, { func: "b" }))).toBe(1);
    expect(samples.get(sampleKey(STARTED, { func: OTHER_LABEL }))).toBe(2);
    expect(samples.get(sampleKey("reprise_steps_total", { func: OTHER_LABEL, state: "resolved" }))).toBe(1);
    expect(samples.has(sampleKey(STARTED, { func: "c" }))).toBe(false);
  });

  it("bound the store-write kind label too", async () => {
    const metrics = new Metrics();
    for (let n = 0; n < 500; n++) metrics.storeWrite(`bogus-${n}`, 1);
    const kinds = new Set([...parseExposition(await metrics.scrape()).samples.keys()].flatMap((key) => /kind="([^"]*)"/.exec(key)?.[1] ?? []));
    expect(kinds.size).toBeLessThanOrEqual(65);
    expect(kinds.has(OTHER_LABEL)).toBe(true);
  });
});
