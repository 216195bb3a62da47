/** `reprise serve`: run a server until SIGINT / SIGTERM. */
import { Option, type Command } from "commander";
import { redactUrl } from "../../observability/redact-url.js";
import type { GlobalOptions } from "../context.js";
import { consoleOutput } from "../output.js";
import { MAX_JSON_DEPTH_CEILING } from "../../protocol/limits.js";
import { parseDuration, parseNonNegativeInteger } from "../parse-args.js";

// Kept here, not imported from the server, so other commands never load the server and store drivers.
const DEFAULT_PORT = 8001;
const DEFAULT_HOST = "127.0.0.1";
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
// Spelled out (not imported from the store) for the same reason as the defaults above.
const DURABILITIES = ["power-loss", "process-crash"] as const;

interface ServeOptions {
  port: number;
  host: string;
  store?: string;
  durability: (typeof DURABILITIES)[number];
  logLevel: (typeof LOG_LEVELS)[number];
  maxValueBytes?: number;
  allowedHosts?: string[];
  maxJsonDepth?: number;
  retention?: number;
  purgeInterval?: number;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run a Reprise server (SQLite ./reprise.db unless --store says otherwise)")
    .option("--port <port>", "port to listen on; 0 picks a free one", parseNonNegativeInteger("--port", 65_535), DEFAULT_PORT)
    .option("--host <host>", "interface to listen on; the default is reachable from this machine only", DEFAULT_HOST)
    .option("--store <path|postgres-url>", "SQLite file path, :memory:, or postgres://user:pass@host/db")
    .addOption(
      new Option("--durability <what>", "SQLite: what an acknowledged request survives; process-crash skips the fsync per commit")
        .choices(DURABILITIES)
        .default("power-loss"),
    )
    .addOption(new Option("--log-level <level>", "log verbosity").choices(LOG_LEVELS).default("warn"))
    .option(
      "--max-value-bytes <bytes>",
      "largest param or result a request may carry (default 3 MiB); the body limit follows (twice this plus 1 MiB)",
      parseNonNegativeInteger("--max-value-bytes", Number.MAX_SAFE_INTEGER),
    )
    .option(
      "--allowed-hosts <names>",
      "comma-separated Host names served besides loopback and the listen address (e.g. the name a proxy forwards); * serves any",
      (text: string) => text.split(",").map((name) => name.trim()).filter((name) => name !== ""),
    )
    .option("--max-json-depth <levels>", "deepest JSON nesting of a request body and of a value (default 1000, at most 2000)", parseNonNegativeInteger("--max-json-depth", MAX_JSON_DEPTH_CEILING))
    .option(
      "--retention <duration>",
      "how long a finished execution is kept before it is deleted, e.g. 7d (the default), 12h; 0 keeps them for ever (docs/retention.md)",
      parseDuration("--retention"),
    )
    .option("--purge-interval <duration>", "time between passes that delete expired executions (default 30s); 0 never purges on its own", parseDuration("--purge-interval"))
    .action(async (options: ServeOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { startServer } = await import("../../server/serve.js");
      const server = await startServer({
        port: options.port,
        host: options.host,
        store: options.store,
        durability: options.durability,
        authToken: globals.authToken,
        logLevel: options.logLevel,
        limits: { maxValueBytes: options.maxValueBytes, maxJsonDepth: options.maxJsonDepth },
        allowedHosts: options.allowedHosts,
        retentionMs: options.retention,
        purgeIntervalMs: options.purgeInterval,
        handleSignals: true,
      });
      const out = consoleOutput(globals.json === true);
      out.print(out.json ? JSON.stringify({ url: server.url }) : serveBanner(server.url, options.store, Boolean(globals.authToken)));
    });
}

/** The line `reprise serve` prints once listening; the store URL's password is masked. */
export function serveBanner(url: string, store: string | undefined, authOn: boolean): string {
  const details = [`store ${redactUrl(store ?? "./reprise.db")}`, authOn ? "auth on" : "auth off"];
  return `Reprise server listening on ${url} (${details.join(", ")}); dashboard: ${url}/dashboard/`;
}
