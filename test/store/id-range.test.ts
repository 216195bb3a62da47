/**
 * prefixRange against what it promises: an id starts with the prefix exactly when it lies in
 * [lower, upper), ids compared as stores compare them (UTF-8 bytes, i.e. code points).
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { prefixRange } from "../../src/store/id-range.js";

const compare = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
const inRange = (id: string, range: { lower: string; upper?: string }) => compare(id, range.lower) >= 0 && (range.upper === undefined || compare(id, range.upper) < 0);

// Storable text (no lone surrogates), with the edges of the fast path in it: U+D7FF, U+E000, U+FFFF, U+10FFFF.
const edgy = fc.constantFrom("\u{D7FF}", "\u{E000}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}", ".", "a", "z", "\u{7F}");
const text = fc.array(fc.oneof(fc.string({ unit: "binary", maxLength: 1 }), edgy), { maxLength: 6 }).map((parts) => parts.join(""));

/** Neighbours at every edge the range's upper bound may cross: ASCII, UTF-8 widths, the surrogates, the planes. */
const EDGES = ["a", "b", ".", "/", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FE}", "\u{D7FF}", "\u{E000}", "\u{E001}", "\u{FFFE}", "\u{FFFF}", "\u{10000}", "\u{10001}", "\u{10FFFE}", "\u{10FFFF}"];

describe("prefixRange", () => {
  test("at every edge: an id is in the range exactly when it starts with the prefix", () => {
    for (const end of EDGES) {
      const prefix = `wf-1${end}`;
      const range = prefixRange(prefix);
      for (const other of EDGES) {
        for (const id of [`wf-1${other}`, `wf-1${other}x`, `wf-1${end}${other}`]) expect([id, inRange(id, range)]).toEqual([id, id.startsWith(prefix)]);
      }
    }
  });

  test.prop([text.filter((p) => p.length > 0), text])("holds every id that starts with the prefix", (prefix, rest) => {
    expect(inRange(prefix + rest, prefixRange(prefix))).toBe(true);
  });

  test.prop([text.filter((p) => p.length > 0), text])("holds no id that does not start with the prefix", (prefix, id) => {
    fc.pre(!id.startsWith(prefix));
    expect(inRange(id, prefixRange(prefix))).toBe(false);
  });

  test.prop([text.filter((p) => p.length > 0), edgy])("holds no id that differs from the prefix in its last character", (prefix, last) => {
    const other = prefix.slice(0, -[...prefix].at(-1)!.length) + last;
    fc.pre(other !== prefix && !other.startsWith(prefix));
    expect(inRange(other, prefixRange(prefix))).toBe(false);
  });
});
