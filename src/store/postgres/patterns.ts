/**
 * Id matching that the primary-key btree can serve. `LIKE $1` with a bound parameter cannot use
 * an index under a generic plan, so every prefix also becomes an explicit range (../id-range.ts).
 */

/** `*` matches any run of characters; every other character matches itself. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll("*", "%");
}
