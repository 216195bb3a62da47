/**
 * A tiny JSON-over-HTTP server on node:http for the examples: routes like
 * `POST /orders/:id/cancel`, JSON bodies in and out, errors as `{ "error": message }`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Request {
  params: Record<string, string>;
  body: unknown;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export interface Route {
  method: "GET" | "POST";
  /** Segments starting with ":" are parameters: `/sessions/:user/activities`. */
  path: string;
  handle(request: Request): Promise<Reply>;
}

/** Thrown by a handler to answer with this status and message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0 picks a free port). */
export function serve(routes: Route[], port: number): Promise<RunningServer> {
  const server = createServer((req, res) => void dispatch(routes, req, res));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/** Refuses ids that would not make a clean durable promise id (no dots, globs or spaces). */
export function checkName(value: string | undefined, what: string): string {
  if (value === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
    throw new HttpError(400, `${what}: expected 1-64 letters, digits, "-" or "_", got ${JSON.stringify(value)}`);
  }
  return value;
}

async function dispatch(routes: Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const match = routes.map((route) => ({ route, params: matchPath(route.path, path) })).find((m) => m.params && m.route.method === req.method);
    if (!match?.params) throw new HttpError(404, `no route for ${req.method} ${path}`);
    const reply = await match.route.handle({ params: match.params, body: await readJson(req) });
    send(res, reply.status ?? 200, reply.body);
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 500;
    send(res, status, { error: error instanceof Error ? error.message : String(error) });
  }
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i]!.startsWith(":")) params[want[i]!.slice(1)] = decodeURIComponent(got[i]!);
    else if (want[i] !== got[i]) return undefined;
  }
  return params;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "the request body is not JSON");
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
