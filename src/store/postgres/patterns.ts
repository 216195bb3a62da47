/**
 * Id matching that the primary-key btree can serve. `LIKE $1` with a bound parameter cannot use
 * an index under a generic plan, so every prefix also becomes an explicit range `[lower, upper)`.
 */

/** Ids starting with `prefix` are exactly those in `[prefix, upper)`; no upper bound if none exists. */
export function prefixRange(prefix: string): { lower: string; upper?: string } {
  const codePoints = [...prefix];
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    // Ids compare bytewise (collation "C"), which for UTF-8 is code-point order: bump the last code
    // point (skipping surrogates, which cannot be stored) and everything with the prefix sorts below.
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    if (next <= 0x10ffff) return { lower: prefix, upper: codePoints.join("") + String.fromCodePoint(next) };
  }
  return { lower: prefix };
}

/** `*` matches any run of characters; every other character matches itself. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll("*", "%");
}

/** The literal text before the first `*`, which every match must start with. */
export function literalPrefix(glob: string): string {
  const star = glob.indexOf("*");
  return star === -1 ? glob : glob.slice(0, star);
}
