/** A Reprise server on a free 127.0.0.1 port over a fresh store, and raw-HTTP helpers for tests. */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { PROTOCOL_VERSION, type RequestKind, type RequestOf } from "../../src/protocol/requests.js";
import { buildApp, type AppOptions } from "../../src/server/app.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { until, type Child } from "../e2e/child.js";

export interface TestServer {
  url: string;
  store: Store;
  app: FastifyInstance;
  /** POSTs a protocol request built from kind and data; returns status and parsed body. */
  send<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], headers?: Record<string, string>): Promise<RawAnswer>;
  /** POSTs any body to `/`. */
  post(body: unknown, headers?: Record<string, string>): Promise<RawAnswer>;
  get(path: string, headers?: Record<string, string>): Promise<RawAnswer>;
  close(): Promise<void>;
}

export interface RawAnswer {
  status: number;
  contentType: string | null;
  // Tests read the body loosely; the assertions say what shape they expect.
  body: Record<string, unknown> & { kind?: string; head?: { corrId: string; status: number; version: string }; data?: unknown };
}

export async function startTestServer(options: Partial<AppOptions> & { storeSpec?: string } = {}): Promise<TestServer> {
  const store = options.store ?? (await openStore(options.storeSpec ?? ":memory:"));
  const app = await buildApp({ logger: pino({ level: "silent" }), ...options, store });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  const url = `http://127.0.0.1:${address.port}`;

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    answer(fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }));
  return {
    url,
    store,
    app,
    post,
    send: (kind, data, headers) => post({ kind, head: { corrId: randomUUID(), version: PROTOCOL_VERSION }, data }, headers),
    get: (path, headers = {}) => answer(fetch(`${url}${path}`, { headers })),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

export async function answer(pending: Promise<globalThis.Response>): Promise<RawAnswer> {
  const response = await pending;
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type"), body: text ? (JSON.parse(text) as RawAnswer["body"]) : {} };
}

export function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64");
}

export function fromBase64Json(data: unknown): unknown {
  return typeof data === "string" && data !== "" ? (JSON.parse(Buffer.from(data, "base64").toString("utf8")) as unknown) : undefined;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until a worker process says READY, then until the server at `url` lists a worker of `group`. */
export async function workerConnected(child: Child, url: string, group: string, what: string): Promise<void> {
  await until(() => child.output().includes("READY") || child.process.exitCode !== null, 20_000, `${what} to start`);
  await eventually(async () => {
    const { workers } = (await answer(fetch(`${url}/workers`))).body as { workers: { group: string }[] };
    return workers.some((w) => w.group === group) ? true : undefined;
  }, 10_000, `${what} to connect`);
}
