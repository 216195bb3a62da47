/**
 * Builds the Reprise HTTP server over a Store: the protocol endpoint, worker streams, the REST
 * face, the dashboard, health checks, auth, and the ticker that fires deadlines. Closing the app
 * stops the ticker and the streams; the caller owns (and closes) the store.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { registerDashboard } from "../dashboard/plugin.js";
import { meterStore } from "../observability/metered-store.js";
import { Metrics } from "../observability/metrics.js";
import { registerMetrics } from "../observability/metrics-route.js";
import { bodyLimitFor, MAX_ID_LENGTH, resolveLimits, type Limits } from "../protocol/limits.js";
import { STATUS } from "../protocol/requests.js";
import type { Store } from "../store/store.js";
import { registerAuth } from "./auth.js";
import { BodyRefusal, registerJsonBody } from "./json-body.js";
import { registerRequestGuard } from "./request-guard.js";
import { registerHealth } from "./health.js";
import { registerPollRoute } from "./poll-route.js";
import { protocolRefusal } from "./protocol-reply.js";
import { registerProtocolRoute } from "./protocol-route.js";
import { RefusedWrites } from "./refused-writes.js";
import { registerRestRoutes } from "./rest-routes.js";
import { Ticker, type TickerOptions } from "../store/ticker.js";
import { Workers } from "./workers.js";

export interface AppOptions {
  store: Store;
  /** Bearer token every route but the health checks requires; none means auth is off. */
  authToken?: string;
  /**
   * Size limits the edge checks (protocol/limits.ts). Give the store the same ones (openStore's
   * `limits`), as `reprise serve` does, or the kernel refuses what the edge let through.
   */
  limits?: Partial<Limits>;
  /** Largest request body in bytes (default: bodyLimitFor(limits)); a larger one is refused with 413. */
  bodyLimit?: number;
  /**
   * Host names (no port) served besides loopback names and the address a connection came in on,
   * e.g. the public name a proxy forwards; `*` serves any Host. See request-guard.ts.
   */
  allowedHosts?: readonly string[];
  /** Defaults to a pino logger at level "warn". */
  logger?: Logger;
  /** Interval of the comments that keep worker streams alive (default 15 s). */
  keepaliveMs?: number;
  ticker?: Omit<TickerOptions, "logger">;
}

/** The body limit that goes with the default limits: two values of 3 MiB plus 1 MiB of envelope. */
export const DEFAULT_BODY_LIMIT = bodyLimitFor(resolveLimits());

// A route parameter holds an id, escaped: up to 3 UTF-8 bytes per character, 3 characters per byte (%XX).
const MAX_PARAM_LENGTH = 9 * MAX_ID_LENGTH;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const metrics = new Metrics();
  // Every route and the ticker go through the metered store, so /metrics sees all traffic.
  const store = meterStore(options.store, metrics);
  const stopCountingExpiries = store.onTick?.((report) => metrics.leaseExpired(report.leasesExpired));
  const stopCountingSpeculations = store.onSpeculation?.((outcome) => metrics.storeSpeculation(outcome));
  const logger = options.logger ?? pino({ level: "warn" });
  const limits = resolveLimits(options.limits);
  const bodyLimit = options.bodyLimit ?? bodyLimitFor(limits);
  const loggerInstance: FastifyBaseLogger = logger;
  // routerOptions, not the top-level maxParamLength: Fastify 5.12 warns on stderr for that one.
  const app: FastifyInstance = Fastify({ loggerInstance, bodyLimit, routerOptions: { maxParamLength: MAX_PARAM_LENGTH } });

  const workers = new Workers();
  const ticker = new Ticker(store, { ...options.ticker, logger });
  let closing = false;

  // No recheck here: the write behind a message already told this server's ticker (ticker.applied),
  // and a message from another replica is about that replica's write, which its own ticker saw.
  const unsubscribe = store.onMessage(({ address, message }) => {
    if (!workers.deliver(address, message)) logger.debug({ address, kind: message.kind }, "no connected worker for message");
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? STATUS.internal;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    const message = describeError(error, bodyLimit);
    const refused = status === 413 || status === 415 || error.code?.startsWith("FST_ERR_CTP_") || error instanceof BodyRefusal ? { field: "body", expected: message, message: `body: ${message}` } : undefined;
    if (request.method === "POST" && request.url === "/") {
      return reply.code(status).send(protocolRefusal(request.body, status, refused?.message ?? message, refused));
    }
    return reply.code(status).send({ error: refused ?? { message } });
  });

  // In this order, all before a body is read: Host and Origin, then the Authorization header.
  registerRequestGuard(app, { allowedHosts: options.allowedHosts });
  registerAuth(app, options.authToken);
  registerJsonBody(app, limits.maxJsonDepth);
  registerHealth(app, { store, isClosing: () => closing });
  const refusedWrites = new RefusedWrites(app.log);
  registerProtocolRoute(app, { store, ticker, limits, refusedWrites });
  registerPollRoute(app, { workers, keepaliveMs: options.keepaliveMs ?? 15_000, limits });
  registerRestRoutes(app, { store, workers, ticker, limits });
  registerDashboard(app, { store, refusedWriteOf: (id) => refusedWrites.of(id) });
  registerMetrics(app, { store, metrics });

  app.addHook("onReady", async () => ticker.start());
  app.addHook("preClose", async () => {
    closing = true;
    workers.closeAll();
  });
  app.addHook("onClose", async () => {
    unsubscribe();
    stopCountingExpiries?.();
    stopCountingSpeculations?.();
    await ticker.stop();
  });
  return app;
}

function describeError(error: FastifyError, bodyLimit: number): string {
  if (error instanceof BodyRefusal) return error.expected;
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `a request body of at most ${bodyLimit} bytes`;
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "a body with content-type application/json";
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "a valid JSON document";
    default:
      return (error.statusCode ?? 500) >= 500 ? "internal error" : error.message;
  }
}
