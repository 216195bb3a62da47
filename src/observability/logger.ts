/**
 * Structured logs: one JSON object per line on stderr, quiet (warn) by default.
 * `REPRISE_LOG_LEVEL` or the `logLevel` option changes it.
 *
 * pino is loaded when the first line at an enabled level is written, not when Reprise starts:
 * at the default level most processes never write one, and loading pino and its streams took
 * 5-15 ms of every start (a restarted worker's, before its first recovered step).
 */
import { createRequire } from "node:module";
import type pino from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

type Method = Exclude<LogLevel, "silent">;

/** What Reprise logs through: pino's level methods (a pino logger is one). */
export type Logger = Pick<pino.Logger, Method | "isLevelEnabled">;

/** pino's own level numbers (`pino.levels.values`); silent is above them all. */
const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY };

export function createLogger(level?: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  const chosen = level ?? (process.env.REPRISE_LOG_LEVEL as LogLevel | undefined) ?? "warn";
  // A level pino does not know is refused by pino, now, as it always was.
  if (!Object.hasOwn(LEVELS, chosen)) return openPino(chosen, bindings);
  return new LazyLogger(chosen, bindings);
}

class LazyLogger implements Logger {
  private readonly threshold: number;
  private logger: pino.Logger | undefined;

  constructor(
    private readonly level: LogLevel,
    private readonly bindings: Record<string, unknown>,
  ) {
    this.threshold = LEVELS[level];
  }

  readonly fatal = this.method("fatal");
  readonly error = this.method("error");
  readonly warn = this.method("warn");
  readonly info = this.method("info");
  readonly debug = this.method("debug");
  readonly trace = this.method("trace");

  isLevelEnabled(level: string): boolean {
    return level !== "silent" && Object.hasOwn(LEVELS, level) && LEVELS[level as LogLevel] >= this.threshold;
  }

  /** A level's method: nothing below the threshold (read when called: fields are made before the constructor's body runs). */
  private method(name: Method): pino.LogFn {
    const value = LEVELS[name];
    return ((...args: Parameters<pino.LogFn>) => {
      if (value < this.threshold) return;
      this.logger ??= openPino(this.level, this.bindings);
      this.logger[name](...args);
    }) as pino.LogFn;
  }
}

function openPino(level: string, bindings: Record<string, unknown>): pino.Logger {
  const create = createRequire(import.meta.url)("pino") as typeof pino;
  return create({ level, base: { ...bindings } }, create.destination({ dest: 2, sync: true }));
}
