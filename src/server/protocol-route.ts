/**
 * `POST /`: the Resonate protocol endpoint. A request is validated, applied to the store, and
 * answered with the HTTP status equal to `head.status`, echoing `kind`, `corrId` and `version`
 * as the official client requires before it trusts an answer.
 */
import type { FastifyInstance } from "fastify";
import { STATUS, type Request, type RequestKind } from "../protocol/requests.js";
import { parseRequest } from "../protocol/schema.js";
import type { Store } from "../store/store.js";
import { protocolRefusal } from "./protocol-reply.js";
import type { Ticker } from "../store/ticker.js";

export interface ProtocolRouteOptions {
  store: Store;
  ticker: Ticker;
}

/** Kinds that change nothing, so they cannot move the next deadline. */
const READ_KINDS: ReadonlySet<RequestKind> = new Set(["promise.get", "promise.search", "task.get", "task.search", "schedule.get", "schedule.search"]);

export function registerProtocolRoute(app: FastifyInstance, { store, ticker }: ProtocolRouteOptions): void {
  app.post("/", async (request, reply) => {
    const parsed = parseRequest(request.body);
    if (!parsed.ok) {
      const { field, expected, message } = parsed;
      return reply.code(STATUS.badRequest).send(protocolRefusal(request.body, STATUS.badRequest, message, { field, expected, message }));
    }
    const req: Request = parsed.request;
    const response = await store.apply(req);
    if (!READ_KINDS.has(req.kind)) ticker.recheck();
    return reply.code(response.head.status).send({
      ...response,
      kind: req.kind,
      head: { ...response.head, corrId: req.head.corrId, version: req.head.version },
    });
  });
}
