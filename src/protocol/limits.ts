/**
 * Bounds on what a request may carry, named once and read by the one validator (validation.ts)
 * and the JSON readers (payload.ts, codec.ts, the server's body parser). Browser-safe. Where the reference
 * Resonate server has a bound we are at least as generous; the rest come from storage (no NUL,
 * well-formed UTF-16, index-entry sizes) or keep one request from exhausting memory.
 */
import { utf8Length } from "./bytes.js";


/**
 * Ids of promises, tasks, schedules; also worker pids. In UTF-16 code units (JS `length`), any
 * script. Every store takes this length (PostgreSQL indexes a hash where two ids share an entry).
 */
export const MAX_ID_LENGTH = 2048;
/** Listener addresses and `resonate:target` values. */
export const MAX_ADDRESS_LENGTH = 2048;

/** The reference server has no bound on tags; this one only keeps a request's size sane. */
export const MAX_TAGS = 1024;
export const MAX_TAG_KEY_LENGTH = 256;
/** Tag values carry ids (`resonate:origin`, `resonate:parent`…), so they must hold MAX_ID_LENGTH. */
export const MAX_TAG_VALUE_LENGTH = 4096;

export const MAX_HEADERS = 64;
export const MAX_HEADER_KEY_LENGTH = 256;
export const MAX_HEADER_VALUE_LENGTH = 4096;

export const MAX_IDEMPOTENCY_KEY_LENGTH = 1024;
export const MAX_CRON_LENGTH = 256;

/** Awaited promises in one `task.suspend`, tasks in one `task.heartbeat`. */
export const MAX_BATCH = 1000;

export const DEFAULT_SEARCH_LIMIT = 100;
export const MAX_SEARCH_LIMIT = 1000;

/** Flow control (docs/flow-control.md): functions in one declaration, and the bounds of a limit. */
export const MAX_DECLARED_FUNCTIONS = 1000;
export const MAX_FUNC_NAME_LENGTH = 256;
export const MAX_CONCURRENCY = 1_000_000;
/**
 * A rate limit's state row keeps the start times of the last `limit` starts (so no window of
 * `periodMs` ever holds more than `limit`): this bounds that row.
 */
export const MAX_RATE_LIMIT = 10_000;
export const MAX_RATE_PERIOD_MS = 30 * 24 * 60 * 60 * 1000;
export const MAX_PRIORITY = 1_000_000;
/** A flow key (`reprise:flow`): stored in the key's state row and in its queue entries. */
export const MAX_FLOW_KEY_LENGTH = 512;

/** Promises returned with an acquired task so a replaying worker needs no round trips. */
export const MAX_PRELOAD = 1000;

/**
 * Most bytes of records in one answer holding many (a search page, a task's preload, a dashboard
 * page): a thousand records with large values made one answer gigabytes, then too long a string
 * to encode. A page whose records pass it ends early, with a cursor; a page always holds at least
 * one record, so paging makes progress whatever the size of one.
 */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;

/**
 * About the size of a record as its JSON answer carries it: the lengths of its strings (values are
 * base64, so a character is a byte) plus a little per field. Cheap: it copies nothing.
 */
export function approxRecordBytes(record: unknown): number {
  if (typeof record === "string") return record.length + 2;
  if (record === null || typeof record !== "object") return 8;
  let bytes = 2;
  if (Array.isArray(record)) {
    for (const item of record as unknown[]) bytes += approxRecordBytes(item) + 1;
    return bytes;
  }
  // for…in over a plain record: Object.entries would allocate a pair per field of every record.
  for (const key in record) bytes += key.length + 4 + approxRecordBytes((record as Record<string, unknown>)[key]);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Configurable limits: `reprise serve --max-value-bytes`, `new Reprise({ limits })`, `openStore(…, { limits })`.

export interface Limits {
  /**
   * Largest `value.data` (or `param.data`) in UTF-8 bytes. Default 3 MiB: a 2.25 MiB result once an
   * SDK has base64-encoded it (the official SDK's local mode has no limit; the reference server's
   * 2 MB body limit is below a 1.5 MiB result).
   */
  maxValueBytes: number;
  /**
   * Deepest nesting of arrays and objects in JSON: a request body, a value the codec writes or
   * reads, a stored payload a reader renders. Default 1000: JSON.stringify and revivers recurse,
   * and a few thousand levels overflow a default Node stack; no real document comes near it.
   */
  maxJsonDepth: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ maxValueBytes: 3 * 1024 * 1024, maxJsonDepth: 1000 });

/** Room in a request body for everything but values: ids, tags, headers, the JSON around them. */
export const ENVELOPE_BYTES = 1024 * 1024;

/** Fills in defaults and checks the figures, so a bad flag fails at start rather than per request. */
export function resolveLimits(limits: Partial<Limits> = {}): Limits {
  const maxValueBytes = limits.maxValueBytes ?? DEFAULT_LIMITS.maxValueBytes;
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1) {
    throw new RangeError(`limits.maxValueBytes: expected a whole number of bytes from 1, got ${String(maxValueBytes)}`);
  }
  const maxJsonDepth = limits.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth;
  if (!Number.isSafeInteger(maxJsonDepth) || maxJsonDepth < 1 || maxJsonDepth > MAX_JSON_DEPTH_CEILING) {
    throw new RangeError(`limits.maxJsonDepth: expected a whole number of levels from 1 to ${MAX_JSON_DEPTH_CEILING}, got ${String(maxJsonDepth)}`);
  }
  return { maxValueBytes, maxJsonDepth };
}

/**
 * The deepest `maxJsonDepth` may be set: Node's own JSON.stringify and revivers recurse, and near
 * 3000 levels they overflow a default stack.
 */
export const MAX_JSON_DEPTH_CEILING = 2000;

/**
 * The HTTP body limit that goes with `limits`: a request may carry two values at the limit (a
 * create with its param and its result) plus the envelope. A larger body is refused with 413.
 */
export function bodyLimitFor(limits: Limits): number {
  return 2 * limits.maxValueBytes + ENVELOPE_BYTES;
}

/** UTF-8 size of `text`, counted only when its length alone cannot decide against `max`. */
export function fitsInBytes(text: string, max: number): boolean {
  if (text.length > max) return false;
  if (text.length * 3 <= max) return true;
  return utf8Length(text) <= max;
}

// ---------------------------------------------------------------------------------------------
// Ids

// NUL: PostgreSQL text cannot hold it (and the reference refuses it). A lone surrogate is not text:
// JSON parsers (the reference's too) refuse it and UTF-8 storage cannot round-trip it.
const FORBIDDEN_ID_CHARACTER = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** 1 to MAX_ID_LENGTH characters of any script (spaces too), without NUL or lone surrogates. */
export function isValidId(id: unknown): id is string {
  return typeof id === "string" && id.length > 0 && id.length <= MAX_ID_LENGTH && isStorableText(id);
}

/**
 * Text every store keeps as it was given: no NUL (PostgreSQL's text cannot hold it) and no lone
 * surrogate (JSON cannot carry one, and a store would keep U+FFFD instead). Ids, idempotency keys,
 * tags and headers are held to it, so every store answers the same.
 */
export function isStorableText(text: string): boolean {
  return !FORBIDDEN_ID_CHARACTER.test(text);
}

/** A schedule id is also refused for ':' (the reference server's rule), so it can move between them. */
export function isValidScheduleId(id: unknown): id is string {
  return isValidId(id) && !id.includes(":");
}

export const ID_RULE = `1-${MAX_ID_LENGTH} characters without NUL or lone surrogates`;
export const SCHEDULE_ID_RULE = `1-${MAX_ID_LENGTH} characters without NUL, ':' or lone surrogates`;

/** Largest time or duration in ms: below 2^63, so a sum of two still fits a 64-bit column. */
export const MAX_TIME = 4_000_000_000_000_000_000;

/** An absolute time or duration in ms: a whole number from 0 to MAX_TIME. */
export function isValidTime(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_TIME;
}

// Whitespace, control characters and lone surrogates: invisible in logs and URLs, or not text at all.
const UNPRINTABLE = /[\s\p{Cc}\p{Cs}]/u;

/** Text with no whitespace, control characters or lone surrogates (addresses). */
export function isPrintable(text: string): boolean {
  return !UNPRINTABLE.test(text);
}
