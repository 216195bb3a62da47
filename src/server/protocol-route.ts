/**
 * `POST /`: the Resonate protocol endpoint. A request is validated, applied to the store, and
 * answered with the HTTP status equal to `head.status`, echoing `kind`, `corrId` and `version`
 * as the official client requires before it trusts an answer. The Reprise extension kind
 * `reprise.batch` carries many requests in one POST (src/server/batch-reply.ts).
 */
import type { FastifyInstance } from "fastify";
import { BATCH_KIND } from "../protocol/batch.js";
import type { Limits } from "../protocol/limits.js";
import { STATUS, type Request } from "../protocol/requests.js";
import { parseRequest } from "../protocol/validation.js";
import type { Store } from "../store/store.js";
import type { Ticker } from "../store/ticker.js";
import { answerBatch } from "./batch-reply.js";
import { protocolAnswer, protocolRefusal } from "./protocol-reply.js";
import type { RefusedWrites } from "./refused-writes.js";

export interface ProtocolRouteOptions {
  store: Store;
  ticker: Ticker;
  limits: Limits;
  /**
   * Where refused fenced writes go: a worker whose write is refused releases its task and tries
   * again (backing off), so the operator hears of it once per task and sees it on the execution.
   */
  refusedWrites: RefusedWrites;
}

export function registerProtocolRoute(app: FastifyInstance, { store, ticker, limits, refusedWrites }: ProtocolRouteOptions): void {

  app.post("/", async (request, reply) => {
    if ((request.body as { kind?: unknown } | null)?.kind === BATCH_KIND) {
      const batch = await answerBatch(request.body, store, ticker, limits, refusedWrites);
      return reply.code(batch.status).send(batch.body);
    }
    const parsed = parseRequest(request.body, limits);
    if (!parsed.ok) {
      const { field, expected, message } = parsed;
      refusedWrites.note(request.body, field, message);
      return reply.code(STATUS.badRequest).send(protocolRefusal(request.body, STATUS.badRequest, message, { field, expected, message }));
    }
    const req: Request = parsed.request;
    const response = await store.apply(req);
    ticker.applied(req);
    return reply.code(response.head.status).send(protocolAnswer(req, response));
  });
}
