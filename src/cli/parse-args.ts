/** Parsers for option values; each throws a usage error that names the option. */
import { cronExpressionParser } from "../protocol/cron-parser.js";
import { usageError } from "./exit-codes.js";

/** `--arg '{"a":1}'` → `{ a: 1 }`. Collects repeated options into a list. */
export function collectJson(text: string, previous: unknown[] = []): unknown[] {
  return [...previous, parseJsonOption("--arg", text)];
}

export function parseJsonOption(option: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usageError(`${option} expects JSON, got ${JSON.stringify(text)} (a string must be quoted: ${option} '"text"')`);
  }
}

/** `--tag env=prod` repeated → `{ env: "prod", ... }`. */
export function collectTag(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf("=");
  if (at <= 0) throw usageError(`--tag expects key=value, got ${JSON.stringify(text)}`);
  return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
}

export function parseNonNegativeInteger(option: string, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value > max) throw usageError(`${option} expects a whole number from 0 to ${max}, got ${JSON.stringify(text)}`);
    return value;
  };
}

/** `--cron` is checked here, with the parser the server uses, so a typo is a usage error (exit 2). */
export function parseCron(text: string): string {
  try {
    cronExpressionParser().parse(text);
  } catch (error) {
    throw usageError(`--cron expects a cron expression such as '*/5 * * * *' (minute hour day month weekday), got ${JSON.stringify(text)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return text;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--older-than 7d`, `--retention 12h`, `90m`, `1h30m`, `500ms`, or `0` → milliseconds. */
export function parseDuration(option: string) {
  return (text: string): number => {
    const trimmed = text.trim();
    if (trimmed === "0") return 0;
    const parts = [...trimmed.matchAll(/(\d+)(ms|s|m|h|d|w)/g)];
    const ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * DURATION_UNITS[unit!]!, 0);
    if (parts.length === 0 || parts.map(([part]) => part).join("") !== trimmed || !Number.isSafeInteger(ms)) {
      throw usageError(`${option} expects a duration such as 30s, 90m, 12h, 7d, 2w or 1h30m (or 0), got ${JSON.stringify(text)}`);
    }
    return ms;
  };
}
