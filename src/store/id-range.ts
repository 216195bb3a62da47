/**
 * Ids as ranges of the primary key, for the SQL backends: a prefix (or a pattern's literal prefix)
 * becomes `[lower, upper)`, which a btree serves where a bound `LIKE` or `GLOB` alone may not. Ids
 * compare bytewise as UTF-8 (collation "C" on PostgreSQL, BINARY on SQLite), which is code-point order.
 */
import { MAX_ID_LENGTH } from "../protocol/limits.js";

/** Ids starting with `prefix` are exactly those in `[lower, upper)`; no upper bound if none exists. */
export function prefixRange(prefix: string): { lower: string; upper?: string } {
  // The common case without splitting into code points: the last unit is a character of the
  // basic plane other than U+FFFF (a preload reads `${id}.`'s range for every task it hands out).
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last < 0xd800 || (last > 0xdfff && last < 0xffff)) {
    return { lower: prefix, upper: prefix.slice(0, -1) + String.fromCharCode(last === 0xd7ff ? 0xe000 : last + 1) };
  }
  return prefixRangeOfCodePoints(prefix);
}

function prefixRangeOfCodePoints(prefix: string): { lower: string; upper?: string } {
  const codePoints = [...prefix];
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    // Bump the last code point (skipping the surrogates, which cannot be stored) and everything
    // with the prefix sorts below.
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    if (next <= 0x10ffff) return { lower: prefix, upper: codePoints.join("") + String.fromCodePoint(next) };
  }
  return { lower: prefix };
}

/** A prefix's id range; a prefix of U+10FFFF only has no upper bound, so one past the longest id stands in. */
export function boundedRange(prefix: string): { lower: string; upper: string } {
  const { lower, upper } = prefixRange(prefix);
  return { lower, upper: upper ?? "\u{10FFFF}".repeat(MAX_ID_LENGTH + 1) };
}

/** The literal text before the first `*`, which every match starts with. */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf("*");
  return star === -1 ? pattern : pattern.slice(0, star);
}
