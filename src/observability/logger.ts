/**
 * Structured logs: one JSON object per line on stderr, quiet (warn) by default.
 * `REPRISE_LOG_LEVEL` or the `logLevel` option changes it.
 */
import pino from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export type Logger = pino.Logger;

export function createLogger(level?: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  const chosen = level ?? (process.env.REPRISE_LOG_LEVEL as LogLevel | undefined) ?? "warn";
  return pino({ level: chosen, base: { ...bindings } }, pino.destination({ dest: 2, sync: true }));
}
