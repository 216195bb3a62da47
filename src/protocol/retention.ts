/**
 * How long a finished execution is kept (docs/retention.md): its root's `reprise:retention` tag
 * (ms; the SDK sets it from `register(…, { retention })`) or else the store's default. 0 keeps it
 * for ever. Pure: the kernel's retention transitions and the request validation share it.
 */
import type { PromiseRecord } from "./records.js";
import { TAG } from "./tags.js";

const DAY = 24 * 60 * 60 * 1000;

/** Seven days, as Temporal and Restate keep a finished workflow by default. */
export const DEFAULT_RETENTION_MS = 7 * DAY;

/** A tag value as a retention in ms: a whole number, at most Number.MAX_SAFE_INTEGER; undefined if it is not one. */
export function parseRetention(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^\d{1,16}$/.test(value)) return undefined;
  const ms = Number(value);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** When the execution rooted at `root`, settled, may be deleted; undefined when it is kept for ever. */
export function purgeAtOf(root: Pick<PromiseRecord, "tags">, settledAt: number, defaultMs: number): number | undefined {
  const retention = parseRetention(root.tags[TAG.retention]) ?? defaultMs;
  return retention > 0 ? settledAt + retention : undefined;
}

/** What a retention option must be, for the messages that refuse one. */
export const RETENTION_EXPECTED = "a whole number of milliseconds from 0 (0 keeps finished executions for ever)";

export function isRetention(ms: unknown): ms is number {
  return typeof ms === "number" && Number.isSafeInteger(ms) && ms >= 0;
}

/** Throws a RangeError naming `field` unless `ms` is a retention. */
export function checkRetention(field: string, ms: unknown): number {
  if (!isRetention(ms)) throw new RangeError(`${field}: expected ${RETENTION_EXPECTED}, got ${String(ms)}`);
  return ms;
}
