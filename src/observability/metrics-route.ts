/** `GET /metrics`: the Prometheus text exposition, behind the server's auth like every route. */
import type { FastifyInstance } from "fastify";
import type { Store } from "../store/store.js";
import { Metrics } from "./metrics.js";

export interface MetricsRouteOptions {
  /** Read at scrape time for gauges (pending timers). */
  store: Store;
  /** The metrics to expose; default: a new set, returned so the caller can record into it. */
  metrics?: Metrics;
}

export function registerMetrics(app: FastifyInstance, options: MetricsRouteOptions): Metrics {
  const metrics = options.metrics ?? new Metrics();
  metrics.watch(options.store);
  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.scrape();
    return reply.type(metrics.contentType).send(text);
  });
  return metrics;
}
