/**
 * Bounds on what a request may carry, named once. The HTTP layer checks shapes; the store kernel
 * checks these bounds and refuses a violation with 400 before it touches anything.
 */

/** Ids of promises, tasks, schedules; also worker pids. */
export const MAX_ID_LENGTH = 1024;
/** Listener addresses and `resonate:target` values. */
export const MAX_ADDRESS_LENGTH = 2048;

export const MAX_TAGS = 64;
export const MAX_TAG_KEY_LENGTH = 256;
export const MAX_TAG_VALUE_LENGTH = 4096;

export const MAX_HEADERS = 64;
export const MAX_HEADER_KEY_LENGTH = 256;
export const MAX_HEADER_VALUE_LENGTH = 4096;

/** `Value.data` is base64: this is the length of 1 MiB once encoded. */
export const MAX_DATA_LENGTH = 4 * Math.ceil((1024 * 1024) / 3);

export const MAX_IDEMPOTENCY_KEY_LENGTH = 1024;
export const MAX_CRON_LENGTH = 256;

/** Awaited promises in one `task.suspend`, tasks in one `task.heartbeat`. */
export const MAX_BATCH = 1000;

export const DEFAULT_SEARCH_LIMIT = 100;
export const MAX_SEARCH_LIMIT = 1000;

/** Promises returned with an acquired task so a replaying worker needs no round trips. */
export const MAX_PRELOAD = 1000;

// Whitespace, control characters and lone surrogates: invisible in logs and URLs, or not text at all.
const FORBIDDEN_ID_CHARACTER = /[\s\p{Cc}\p{Cs}]/u;

/** A non-empty run of at most MAX_ID_LENGTH printable characters with no whitespace. */
export function isValidId(id: unknown): id is string {
  return typeof id === "string" && id.length > 0 && id.length <= MAX_ID_LENGTH && !FORBIDDEN_ID_CHARACTER.test(id);
}

/** Largest time or duration in ms: below 2^63, so a sum of two still fits a 64-bit column. */
export const MAX_TIME = 4_000_000_000_000_000_000;

/** An absolute time or duration in ms: a whole number from 0 to MAX_TIME. */
export function isValidTime(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_TIME;
}

/** Text with no whitespace, control characters or lone surrogates (addresses, keys, patterns). */
export function isPrintable(text: string): boolean {
  return !FORBIDDEN_ID_CHARACTER.test(text);
}
