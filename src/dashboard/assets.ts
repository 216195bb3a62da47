/**
 * Serves the built page (src/dashboard/ui/dist) under /dashboard/, and sends a browser that asks
 * for `/` there. The files hold no data, so they are served before the server's auth check (in
 * the route's own onRequest hook): the page loads, then asks for a token when /api answers 401.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { STATUS } from "../protocol/requests.js";

export const DASHBOARD_PATH = "/dashboard/";
export const BUILD_COMMAND = "npm run build:dashboard";

export interface AssetOptions {
  /** The Vite output folder; default: the first of DEFAULT_UI_DIRS that exists. */
  uiDir?: string;
}

/** Where the built UI is looked for: next to this module (run from src), or in src from dist/src. */
export const DEFAULT_UI_DIRS: readonly string[] = [
  fileURLToPath(new URL("./ui/dist/", import.meta.url)),
  fileURLToPath(new URL("../../../src/dashboard/ui/dist/", import.meta.url)),
];

export function registerAssets(app: FastifyInstance, options: AssetOptions = {}): void {
  const root = resolve(options.uiDir ?? DEFAULT_UI_DIRS.find((dir) => existsSync(dir)) ?? DEFAULT_UI_DIRS[0]!);

  app.get("/", { onRequest: redirectBrowsers }, async (_request, reply) =>
    reply.code(STATUS.notFound).send({ error: { message: `the protocol endpoint is POST /; the dashboard is at ${DASHBOARD_PATH}` } }),
  );
  app.get("/dashboard", { onRequest: async (_request, reply) => reply.redirect(DASHBOARD_PATH) }, async () => undefined);
  const serve = (request: FastifyRequest, reply: FastifyReply) => serveFile(root, request, reply);
  app.get(DASHBOARD_PATH, { onRequest: serve }, async () => undefined);
  app.get(`${DASHBOARD_PATH}*`, { onRequest: serve }, async () => undefined);
}

// ---------------------------------------------------------------------------------------------

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
  ".woff2": "font/woff2",
};

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
};

/** Hooks that send the answer themselves return the reply, as Fastify asks of async hooks. */
async function redirectBrowsers(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  return request.headers.accept?.includes("text/html") ? reply.redirect(DASHBOARD_PATH) : undefined;
}

async function serveFile(root: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = requestedFile(request.url);
  const file = path === undefined ? root : resolve(root, path);
  if (path === undefined || !file.startsWith(root + sep)) return reply.code(STATUS.notFound).send({ error: { message: "not found" } });
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    if (path === "index.html") return reply.code(503).headers(SECURITY_HEADERS).type(CONTENT_TYPES[".html"]!).send(notBuiltPage(root));
    return reply.code(STATUS.notFound).send({ error: { message: `no dashboard file ${path}` } });
  }
  const hashed = path.startsWith("assets/");
  return reply
    .headers(SECURITY_HEADERS)
    .header("cache-control", hashed ? "public, max-age=31536000, immutable" : "no-cache")
    .type(CONTENT_TYPES[extname(file)] ?? "application/octet-stream")
    .send(body);
}

/** The file a /dashboard/... url names, relative to the UI folder; undefined if it is malformed. */
function requestedFile(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url, "http://local").pathname).slice(DASHBOARD_PATH.length) || "index.html";
  } catch {
    return undefined;
  }
}

function notBuiltPage(root: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reprise dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The Reprise dashboard is not built</h1>
<p>Run <code>${BUILD_COMMAND}</code> in the Reprise folder, then reload this page.</p>
<p>Looked for <code>${escapeHtml(root)}/index.html</code>.</p>
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
