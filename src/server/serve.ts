/**
 * Starts a Reprise server: opens the store, builds the app, listens (on 127.0.0.1 unless told
 * otherwise). `close()` stops accepting connections, lets in-flight requests finish, ends worker
 * streams, stops the ticker, then closes the store. Every acknowledged request was committed by
 * the store before its answer was sent, so a shutdown loses nothing that was acknowledged.
 */
import type { FastifyInstance } from "fastify";
import { pino, type Level } from "pino";
import { redactIn } from "../observability/redact-url.js";
import { resolveLimits, type Limits } from "../protocol/limits.js";
import { openStore, type Durability } from "../store/index.js";
import { buildApp } from "./app.js";

export interface ServerOptions {
  /** Default 8001; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  /** Store spec: a SQLite path (default ./reprise.db), ":memory:", or a postgres:// URL. */
  store?: string;
  /** SQLite store: what an acknowledged request survives. Default "power-loss" (an fsync per commit). */
  durability?: Durability;
  /** Default: the REPRISE_AUTH_TOKEN environment variable; unset means auth is off. */
  authToken?: string;
  /** Default "warn". */
  logLevel?: Level | "silent";
  /** Size limits (protocol/limits.ts), given to both the HTTP edge and the store. */
  limits?: Partial<Limits>;
  /** Default: bodyLimitFor(limits). */
  bodyLimit?: number;
  /** Host names served besides loopback and the listen address (behind a proxy); `*` is any. */
  allowedHosts?: readonly string[];
  /** Close gracefully on SIGINT / SIGTERM, then exit the process. */
  handleSignals?: boolean;
  /**
   * How long a finished execution is kept before it is deleted, in ms (docs/retention.md). Default
   * 7 days; 0 keeps executions for ever. A root's `reprise:retention` tag overrides it.
   */
  retentionMs?: number;
  /** Time between purge passes, in ms (default 30 s); 0 never purges on its own. */
  purgeIntervalMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8001 */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8001;
export const DEFAULT_HOST = "127.0.0.1";

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const logger = pino({ level: options.logLevel ?? "warn" });
  const limits = resolveLimits(options.limits);
  const store = await openStore(options.store, { durability: options.durability, limits, retentionMs: options.retentionMs }).catch((error: unknown) => {
    throw redactError(error, options.store);
  });
  const port = options.port ?? DEFAULT_PORT;
  const host = options.host ?? DEFAULT_HOST;
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({
      store, logger, authToken: options.authToken ?? process.env.REPRISE_AUTH_TOKEN, limits, bodyLimit: options.bodyLimit, allowedHosts: options.allowedHosts,
      ticker: options.purgeIntervalMs === undefined ? undefined : { purgeIntervalMs: options.purgeIntervalMs },
    });
    await app.listen({ port, host });
  } catch (error) {
    // listen() makes the app ready (starting its ticker) before it binds, so a failed bind must
    // close the app too: closing only the store left the ticker failing on it every second.
    await app?.close().catch(() => undefined);
    await store.close();
    throw isAddressInUse(error) ? new PortInUseError(host, port, error) : error;
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      try {
        await app.close();
      } finally {
        await store.close();
      }
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "shutting down");
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  if (options.handleSignals) for (const signal of SIGNALS) process.once(signal, onSignal);

  return { url: urlOf(app), app, close };
}

/** Thrown by startServer when another process already listens on the address asked for. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
  constructor(
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(`port ${port} on ${host} is already in use (another \`reprise serve\`?); pick another with --port`, { cause });
  }
}

/** A driver's error may quote the store URL; it must not carry its password into a log or terminal. */
function redactError(error: unknown, spec: string | undefined): unknown {
  if (!(error instanceof Error)) return error;
  error.message = redactIn(error.message, spec);
  if (error.stack) error.stack = redactIn(error.stack, spec);
  return error;
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === "EADDRINUSE";
}

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

function urlOf(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error(`unexpected listen address ${String(address)}`);
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
