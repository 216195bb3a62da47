/**
 * Optional bearer-token auth. When a token is configured, every route except the health checks
 * needs it, as `Authorization: Bearer <token>` or, for protocol requests, as `head.auth`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { STATUS } from "../protocol/requests.js";
import { protocolRefusal } from "./protocol-reply.js";

export const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/health", "/ready"]);

export function registerAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = digest(token);
  // preHandler, not onRequest: a protocol request may carry its token in the parsed body.
  app.addHook("preHandler", async (request, reply) => {
    if (OPEN_PATHS.has(request.routeOptions.url ?? "")) return;
    const presented = presentedToken(request);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return;

    const message = presented === undefined ? "missing bearer token" : "invalid bearer token";
    reply.code(STATUS.unauthorized).header("www-authenticate", 'Bearer realm="reprise"');
    if (request.method === "POST" && request.routeOptions.url === "/") return reply.send(protocolRefusal(request.body, STATUS.unauthorized, message));
    return reply.send({ error: { message } });
  });
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
  if (match) return match[1]!.trim();
  const head = (request.body as { head?: { auth?: unknown } } | undefined)?.head;
  return typeof head?.auth === "string" ? head.auth : undefined;
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
