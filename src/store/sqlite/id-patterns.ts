/**
 * Id matching that the primary-key index can serve: every pattern's literal prefix becomes an id
 * range (../id-range.ts), and SQLite's GLOB (whose `?` and `[` we escape) checks the rest.
 */

/** Our patterns (only `*` is special) as a SQLite GLOB (where `?` and `[` are special too). */
export function toSqliteGlob(pattern: string): string {
  return pattern
    .split("*")
    .map((literal) => literal.replace(/[?[]/g, (c) => `[${c}]`))
    .join("*");
}
