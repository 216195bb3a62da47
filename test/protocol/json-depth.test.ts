/**
 * jsonDepthExceeds, the scan that refuses deeply nested JSON before it is parsed, against the depth
 * of the parsed document: it counts only brackets outside strings, whatever the strings hold
 * (brackets, escaped quotes, runs of backslashes).
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "../../src/protocol/payload.js";

function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((deepest, child) => Math.max(deepest, depthOf(child)), 0);
}

// Strings full of what could fool a scan: brackets, quotes and backslashes.
const tricky = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", "\\\\", '\\"') });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, tricky, fc.integer(), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(tricky, tie("value"), { maxKeys: 3 }),
})).value;

describe("jsonDepthExceeds", () => {
  test.prop([json, fc.integer({ min: 0, max: 6 })])("agrees with the parsed document's depth", (value, maxDepth) => {
    const text = JSON.stringify(value);
    expect(jsonDepthExceeds(text, maxDepth)).toBe(depthOf(JSON.parse(text)) > maxDepth);
  });

  it("does not count brackets inside strings, even after escaped quotes and backslashes", () => {
    const text = JSON.stringify(["[[[[", 'a\\"[[[[', "\\", "{{{{{", [["\\\\"]]]);
    expect(jsonDepthExceeds(text, 3)).toBe(false);
    expect(jsonDepthExceeds(text, 2)).toBe(true);
  });

  it("refuses a document nested deeper than the limit, however long its strings", () => {
    const long = "x".repeat(100_000);
    const text = "[".repeat(12) + JSON.stringify(long) + "]".repeat(12);
    expect(jsonDepthExceeds(text, 11)).toBe(true);
    expect(jsonDepthExceeds(text, 12)).toBe(false);
  });

  it("treats a string that never closes as running to the end", () => {
    expect(jsonDepthExceeds('[[["[[[[[[', 2)).toBe(true);
    expect(jsonDepthExceeds('[["[[[[[[', 2)).toBe(false);
  });
});
