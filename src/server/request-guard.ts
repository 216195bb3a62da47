/**
 * What keeps a server with auth off (the default) safe on a developer's machine, checked when a
 * request arrives, before its body is read:
 *
 * - DNS rebinding: a page on attacker.example whose name comes to resolve to 127.0.0.1 reaches
 *   this server with `Host: attacker.example`. Only a Host naming this machine's loopback, the
 *   address the connection came in on, or a name the operator allowed is served. The health
 *   checks are exempt: probes send the pod's address.
 * - CSRF: a browser sends `Origin` with every cross-site POST. A state-changing request whose
 *   Origin is not the Host's own origin is refused; clients that are not browsers send none.
 * - A form or `fetch` with no content type (a "simple" request, sent cross-site without a
 *   preflight) must not settle a promise: REST writes need `content-type: application/json`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OPEN_PATHS } from "./auth.js";
import { protocolRefusal } from "./protocol-reply.js";

export interface RequestGuardOptions {
  /**
   * Host names (no port) served besides loopback and the listen address, e.g. the name a proxy
   * forwards; `*` serves any Host (turns the DNS-rebinding check off).
   */
  allowedHosts?: readonly string[];
}

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "::1"]);
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
const FORBIDDEN = 403;
const UNSUPPORTED_MEDIA_TYPE = 415;

export function registerRequestGuard(app: FastifyInstance, options: RequestGuardOptions = {}): void {
  const allowed = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
  const anyHost = allowed.has("*");
  // A server hears the same Host on nearly every request: the last one's name is kept rather
  // than parsing a URL per request (hostnameOf depends on the header alone).
  let lastHost: string | undefined;
  let lastName: string | undefined;
  const nameOf = (host: string) => {
    if (host !== lastHost) {
      lastHost = host;
      lastName = hostnameOf(host);
    }
    return lastName;
  };

  app.addHook("onRequest", async (request, reply) => {
    const host = request.headers.host;
    // No Host at all (HTTP/1.0) is not a browser, so it cannot be a rebound page: served.
    if (!anyHost && host !== undefined && !OPEN_PATHS.has(pathOf(request.url))) {
      const name = nameOf(host);
      if (name === undefined || !(isLoopbackName(name) || name === normalize(request.socket.localAddress) || allowed.has(name))) {
        return refuse(request, reply, FORBIDDEN, `host ${JSON.stringify(host)} is not served here; allow it with --allowed-hosts`);
      }
    }
    if (SAFE_METHODS.has(request.method)) return;

    const origin = request.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, host)) {
      return refuse(request, reply, FORBIDDEN, `cross-origin request from ${JSON.stringify(origin)} refused`);
    }
    // POST / answers a body it cannot read with a protocol refusal; every other write is REST.
    const route = request.routeOptions.url;
    if (route !== undefined && route !== "/" && !isJson(request.headers["content-type"])) {
      return refuse(request, reply, UNSUPPORTED_MEDIA_TYPE, "body: expected content-type application/json", "body");
    }
  });
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: number, message: string, field?: string): FastifyReply {
  reply.code(status);
  const error = field ? { field, expected: "a body with content-type application/json", message } : undefined;
  // The body is not read yet: a protocol refusal echoes nothing of it.
  if (request.method === "POST" && request.routeOptions.url === "/") return reply.send(protocolRefusal(undefined, status, message, error));
  return reply.send({ error: error ?? { message } });
}

function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** `Example.com:8001` → `example.com`; `[::1]:8001` → `::1`; undefined if it is not a host. */
function hostnameOf(host: string): string | undefined {
  try {
    return normalize(new URL(`http://${host}`).hostname);
  } catch {
    return undefined;
  }
}

function normalize(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const bare = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  // An IPv4 client on a dual-stack socket shows up as ::ffff:127.0.0.1.
  return bare.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}

/** localhost, *.localhost (RFC 6761 keeps them on this machine), 127.0.0.0/8 and ::1. */
function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || name.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** The Origin is the Host's own (scheme aside: a TLS proxy in front changes it). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false; // "null" (a sandboxed frame, a file: page) and other opaque origins
  }
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim());
}
