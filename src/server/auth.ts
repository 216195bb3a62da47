/**
 * Optional bearer-token auth. When a token is configured, every route except the health checks
 * needs it, as `Authorization: Bearer <token>` or, for protocol requests, as `head.auth`.
 *
 * The header is checked when the request arrives, before its body is read, so a request without
 * the token costs nothing to refuse. A protocol request may instead carry the token in its body
 * (`head.auth`), which can only be checked once the body is parsed; so that an anonymous client
 * cannot make the server read and parse megabytes before the 401, such a request may be at most
 * UNAUTHENTICATED_BODY_LIMIT bytes, stated up front in Content-Length. Both official SDKs send
 * the header as well as `head.auth`, so their large requests are not affected; a small request
 * (a get, a claim, a heartbeat) from a client that only uses `head.auth` still works.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { STATUS } from "../protocol/requests.js";
import { protocolRefusal } from "./protocol-reply.js";

export const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/health", "/ready"]);

const BODILESS_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/** Largest body read before its `head.auth` is checked, when no Authorization header came. */
export const UNAUTHENTICATED_BODY_LIMIT = 64 * 1024;

export function registerAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = digest(token);
  const matches = (presented: string) => timingSafeEqual(digest(presented), expected);
  // Requests whose header carried the right token; the body-borne check skips them.
  const verified = new WeakSet<FastifyRequest>();

  app.addHook("onRequest", async (request, reply) => {
    // A GET or HEAD has no body to parse, so it is checked in preHandler, after a route's own
    // onRequest hook: the dashboard's files hold no data and are served from there without a token.
    if (BODILESS_METHODS.has(request.method) || OPEN_PATHS.has(request.routeOptions.url ?? "")) return;
    const presented = headerToken(request);
    if (presented !== undefined) {
      if (matches(presented)) {
        verified.add(request);
        return;
      }
      return unauthorized(request, reply, "invalid bearer token");
    }
    // Only the protocol endpoint takes a token in its body; everywhere else no header is no token.
    if (!isProtocolRequest(request)) return unauthorized(request, reply, "missing bearer token");
  });

  app.addHook("preParsing", async (request, reply) => {
    if (verified.has(request) || !isProtocolRequest(request)) return;
    const length = Number(request.headers["content-length"]);
    if (!Number.isSafeInteger(length) || length > UNAUTHENTICATED_BODY_LIMIT) {
      return unauthorized(request, reply, `missing bearer token: a request body over ${UNAUTHENTICATED_BODY_LIMIT} bytes (or of no stated length) must send it as Authorization: Bearer`);
    }
  });

  app.addHook("preHandler", async (request, reply) => {
    if (verified.has(request) || OPEN_PATHS.has(request.routeOptions.url ?? "")) return;
    const presented = headerToken(request) ?? bodyToken(request);
    if (presented !== undefined && matches(presented)) return;
    return unauthorized(request, reply, presented === undefined ? "missing bearer token" : "invalid bearer token");
  });
}

function isProtocolRequest(request: FastifyRequest): boolean {
  return request.method === "POST" && request.routeOptions.url === "/";
}

function unauthorized(request: FastifyRequest, reply: FastifyReply, message: string): FastifyReply {
  reply.code(STATUS.unauthorized).header("www-authenticate", 'Bearer realm="reprise"');
  if (isProtocolRequest(request)) return reply.send(protocolRefusal(request.body, STATUS.unauthorized, message));
  return reply.send({ error: { message } });
}

/** The token of an `Authorization: Bearer` header; any other scheme counts as no header. */
function headerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
  return match ? match[1]!.trim() : undefined;
}

function bodyToken(request: FastifyRequest): string | undefined {
  const head = (request.body as { head?: { auth?: unknown } } | undefined)?.head;
  return typeof head?.auth === "string" ? head.auth : undefined;
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
