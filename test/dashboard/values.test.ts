import { describe, expect, it } from "vitest";
import { encodeValue } from "../../src/protocol/codec.js";
import { argumentsOf, attemptsOf, decodeData, errorOf, foldText, showValue } from "../../src/dashboard/values.js";

describe("decodeData", () => {
  it("decodes base64 JSON as the SDK codec writes it, unicode included", () => {
    const { data } = encodeValue({ city: "Zürich", emoji: "🚀", n: [1, 2] });
    expect(decodeData(data)).toEqual({ ok: true, value: { city: "Zürich", emoji: "🚀", n: [1, 2] } });
  });

  it("says there is nothing when data is absent or empty", () => {
    expect(decodeData(undefined)).toBeUndefined();
    expect(decodeData("")).toBeUndefined();
  });

  it("keeps data that is not base64 JSON as raw text instead of failing", () => {
    expect(decodeData("not base64!")).toEqual({ ok: false, raw: "not base64!" });
    expect(decodeData(Buffer.from("plain text").toString("base64"))).toEqual({ ok: false, raw: "plain text" });
  });
});

describe("showValue and foldText", () => {
  it("pretty-prints small values whole", () => {
    expect(showValue({ ok: true, value: { a: 1 } }, 100)).toEqual({ text: '{\n  "a": 1\n}', folded: false, size: 12, json: true });
  });

  it("folds a value longer than the limit to its first characters and keeps the full size", () => {
    const shown = showValue({ ok: true, value: "x".repeat(5000) }, 100);
    expect(shown.folded).toBe(true);
    expect(shown.text).toHaveLength(100);
    expect(shown.size).toBe(5002);
  });

  it("shows raw data as not JSON", () => {
    expect(showValue({ ok: false, raw: "abc" })).toEqual({ text: "abc", folded: false, size: 3, json: false });
  });

  it("does not fold text exactly at the limit", () => {
    expect(foldText("abcd", 4).folded).toBe(false);
    expect(foldText("abcde", 4)).toEqual({ text: "abcd", folded: true, size: 5, json: true });
  });
});

describe("errorOf", () => {
  it("reads name, message, stack and cause of an encoded error", () => {
    const cause = { name: "Error", message: "boom" };
    const failure = Object.assign(new Error("charge failed 3 times"), { cause });
    failure.name = "RetriesExhaustedError";
    const decoded = decodeData(encodeValue(failure).data);
    expect(decoded?.ok && errorOf(decoded.value)).toEqual({
      name: "RetriesExhaustedError",
      message: "charge failed 3 times",
      stack: failure.stack,
      cause: "Error: boom",
    });
  });

  it("is undefined for values that are not encoded errors", () => {
    expect(errorOf({ name: "x", message: "y" })).toBeUndefined();
    expect(errorOf("boom")).toBeUndefined();
    expect(errorOf(null)).toBeUndefined();
  });
});

describe("attemptsOf", () => {
  it("reads the reprise:attempts header", () => {
    expect(attemptsOf({ headers: { "reprise:attempts": "3" } })).toBe(3);
  });

  it("ignores a missing or malformed header", () => {
    expect(attemptsOf({})).toBeUndefined();
    expect(attemptsOf({ headers: { "reprise:attempts": "three" } })).toBeUndefined();
    expect(attemptsOf({ headers: { "reprise:attempts": "0" } })).toBeUndefined();
  });
});

describe("argumentsOf", () => {
  it("unwraps the args of a Reprise call param", () => {
    expect(argumentsOf({ func: "charge", args: [42], version: 1 })).toEqual([42]);
  });

  it("leaves any other param as it is", () => {
    expect(argumentsOf({ order: 7 })).toEqual({ order: 7 });
    expect(argumentsOf("text")).toBe("text");
  });
});
