/**
 * Id matching that the primary-key index can serve: every pattern's literal prefix becomes an id
 * range, and SQLite's GLOB (whose `?` and `[` we escape) checks the rest. Ids compare bytewise as
 * UTF-8, which is code-point order.
 */

/** Ids starting with `prefix` are exactly those in `[lower, upper)`; no upper bound if none exists. */
export function prefixRange(prefix: string): { lower: string; upper?: string } {
  const codePoints = [...prefix];
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    const next = last === 0xd7ff ? 0xe000 : last + 1; // skip the surrogates, which are not text
    if (next <= 0x10ffff) return { lower: prefix, upper: codePoints.join("") + String.fromCodePoint(next) };
  }
  return { lower: prefix };
}

/** The literal text before the first `*`, which every match starts with. */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf("*");
  return star === -1 ? pattern : pattern.slice(0, star);
}

/** Our patterns (only `*` is special) as a SQLite GLOB (where `?` and `[` are special too). */
export function toSqliteGlob(pattern: string): string {
  return pattern
    .split("*")
    .map((literal) => literal.replace(/[?[]/g, (c) => `[${c}]`))
    .join("*");
}
