/**
 * `GET /healthz` (the process answers) and `GET /readyz` (the store answers a cheap read), also
 * served as `/health` and `/ready`, the reference Resonate server's paths, so its probes work here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { PROTOCOL_VERSION, STATUS } from "../protocol/requests.js";
import type { Store } from "../store/store.js";

export interface HealthOptions {
  store: Store;
  /** True once shutdown has begun: the server stops advertising itself as ready. */
  isClosing: () => boolean;
}

const PROBE_ID = "reprise:readyz";

export function registerHealth(app: FastifyInstance, { store, isClosing }: HealthOptions): void {
  const live = async () => ({ status: "ok" });
  app.get("/healthz", live);
  app.get("/health", live);

  const ready = async (request: FastifyRequest, reply: FastifyReply) => {
    if (isClosing()) return reply.code(503).send({ status: "closing" });
    try {
      const response = await store.apply({
        kind: "promise.get",
        head: { corrId: "readyz", version: PROTOCOL_VERSION },
        data: { id: PROBE_ID },
      });
      const answered = response.head.status === STATUS.ok || response.head.status === STATUS.notFound;
      if (answered) return { status: "ready" };
      return reply.code(503).send({ status: "store not ready", detail: response.data });
    } catch (error) {
      request.log.warn({ err: error }, "readiness probe failed");
      return reply.code(503).send({ status: "store unreachable" });
    }
  };
  app.get("/readyz", ready);
  app.get("/ready", ready);
}
