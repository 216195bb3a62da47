/**
 * assertSerializable, which decides what a step may return and a workflow may pass, against a
 * plain recursive statement of its rules: a quick look accepts shallow plain values at once and
 * hands everything else to the full walk, and the two together must answer as the rules say for
 * every value and depth limit (around the quick look's own depth too).
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { assertSerializable, SerializationError } from "../../src/protocol/codec.js";

type Verdict = "plain" | "special" | "refused";

class Thing {
  readonly x = 1;
}

/** The rules, recursively: what the codec refuses, what it writes in forms of its own (infinities, errors), what is plain. */
function rules(v: unknown, depth: number, maxDepth: number): Verdict {
  if (typeof v === "function" || typeof v === "symbol" || typeof v === "bigint") return "refused";
  if (typeof v === "number") return Number.isNaN(v) ? "refused" : Number.isFinite(v) ? "plain" : "special";
  if (typeof v !== "object" || v === null) return "plain";
  if (v instanceof Error) return "special";
  if (v instanceof Date) return "plain";
  if (depth >= maxDepth) return "refused";
  const proto = Object.getPrototypeOf(v) as unknown;
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return "refused";
  const verdicts = Object.values(v as object).map((child) => rules(child, depth + 1, maxDepth));
  return verdicts.includes("refused") ? "refused" : verdicts.includes("special") ? "special" : "plain";
}

const leaf = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5),
  fc.constantFrom(new Date(0), new Error("boom"), new Thing(), () => 1, 10n, Object.create(null) as object),
);
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(fc.string({ maxLength: 3 }), tie("value"), { maxKeys: 3 }),
})).value;
/** A value under `levels` more arrays and objects: depths on both sides of the quick look's. */
const deep = fc.tuple(value, fc.nat(12)).map(([inner, levels]) => {
  let v: unknown = inner;
  for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
});

describe("assertSerializable", () => {
  test.prop([fc.oneof(value, deep), fc.integer({ min: 1, max: 14 })], { numRuns: 2000 })("answers as the rules do, at any depth limit", (v, maxDepth) => {
    let verdict: Verdict;
    try {
      verdict = assertSerializable(v, "v", maxDepth) ? "special" : "plain";
    } catch (error) {
      expect(error).toBeInstanceOf(SerializationError);
      verdict = "refused";
    }
    expect(verdict).toBe(rules(v, 0, maxDepth));
  });
});
