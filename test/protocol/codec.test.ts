/**
 * The codec reads through payload.ts, the one base64-JSON decoder: depth-bounded (a stored payload
 * nested 20,000 deep once overflowed the stack in decodeValue's reviver), strict about what is not
 * base64 of UTF-8 JSON, and the same in a browser as on Node.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue, SerializationError } from "../../src/protocol/codec.js";
import { base64ToText, textToBase64, utf8Length } from "../../src/protocol/bytes.js";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("decodeValue", () => {
  it("refuses a stored value nested deeper than the limit with a SerializationError, not a stack overflow", () => {
    const deep = { data: base64(nested(20_000)) };
    expect(() => decodeValue(deep)).toThrow(SerializationError);
    expect(() => decodeValue(deep)).toThrow(`JSON nested deeper than ${DEFAULT_LIMITS.maxJsonDepth} levels`);
    expect(() => decodeValue({ data: base64(nested(12)) }, 10)).toThrow(/deeper than 10 levels/);
    expect(decodeValue({ data: base64(nested(10)) }, 10)).toEqual(JSON.parse(nested(10)));
    // Brackets inside strings are text, however many: only nesting counts.
    const brackets = JSON.stringify({ text: "[{".repeat(5000), list: [[1]] });
    expect(decodeValue({ data: base64(brackets) }, 10)).toEqual(JSON.parse(brackets));
  });

  it("round-trips infinities and errors, and reads base64url as the official SDK's Encryptor may write it", () => {
    const value = { big: Number.POSITIVE_INFINITY, failure: new TypeError("no card"), text: "Zürich 🚀 ??>>" };
    const decoded = decodeValue(encodeValue(value)) as typeof value;
    expect(decoded.big).toBe(Number.POSITIVE_INFINITY);
    expect(decoded.failure).toBeInstanceOf(Error);
    expect(decoded.failure.message).toBe("no card");
    const url = Buffer.from(JSON.stringify("??>>ü"), "utf8").toString("base64url");
    expect(decodeValue({ data: url })).toBe("??>>ü");
  });

  it("revives what another writer spelled with escapes, and leaves text that only looks close alone", () => {
    // `"\u005f_type"` is `"__type"`, `"\u005f_INF\u005f_"` is `"__INF__"`: JSON.stringify never writes them so, other writers may.
    const escaped = decodeValue({ data: base64('{"e":{"\\u005f_type":"error","name":"TypeError","message":"no card"}}') }) as { e: Error };
    expect(escaped.e).toBeInstanceOf(Error);
    expect(escaped.e.name).toBe("TypeError");
    expect(decodeValue({ data: base64('["\\u005f_INF\\u005f_"]') })).toEqual([Number.POSITIVE_INFINITY]);
    expect(decodeValue({ data: base64('{"__typ":"error","s":"_INF_","list":[1,"a_b"]}') })).toEqual({ __typ: "error", s: "_INF_", list: [1, "a_b"] });
    expect(decodeValue({ data: base64('{"type":"error","name":"x","message":"y"}') })).toEqual({ type: "error", name: "x", message: "y" });
  });

  it("says what is wrong with data that is not base64 of JSON", () => {
    expect(() => decodeValue({ data: "not base64!" })).toThrow(/not base64 of UTF-8 text/);
    expect(() => decodeValue({ data: base64("plain text") })).toThrow(/not JSON/);
  });
});

describe("bytes", () => {
  it("agree with Buffer on base64 and UTF-8 length, and refuse what is not base64 of UTF-8", () => {
    const text = "a ü 注文 😀";
    expect(textToBase64(text)).toBe(base64(text));
    expect(base64ToText(base64(text))).toBe(text);
    expect(utf8Length(text)).toBe(Buffer.byteLength(text));
    expect(base64ToText("A")).toBeUndefined();
    expect(base64ToText("a=b=")).toBeUndefined();
    expect(base64ToText("YWJj ZA==")).toBeUndefined();
    expect(base64ToText("YWJj!ZGVm")).toBeUndefined();
    expect(base64ToText(Buffer.from([0xff, 0xfe]).toString("base64"))).toBeUndefined();
  });

  // ASCII takes a fast path (btoa/atob); everything else goes through Buffer: both must agree with it.
  test.prop([fc.string({ unit: fc.oneof(fc.constant("a"), fc.constant("é"), fc.constant("\u007f"), fc.constant("\u0080"), fc.constant("😀"), fc.string({ unit: "binary", maxLength: 1 })) })])(
    "encode any text as Buffer does, and read it back",
    (text) => {
      expect(textToBase64(text)).toBe(base64(text));
      expect(base64ToText(base64(text))).toBe(Buffer.from(text, "utf8").toString("utf8"));
    },
  );

  test.prop([fc.string({ unit: fc.constantFrom("Q", "U", "J", "w", "+", "/", "-", "_", "=", " ", "!", "A", "/") })])(
    "read any string as the strict Buffer reading does",
    (data) => {
      expect(base64ToText(data)).toBe(strictReading(data));
    },
  );

  test.prop([fc.uint8Array({ maxLength: 12 }), fc.constantFrom("base64", "base64url"), fc.boolean()])("read any bytes' base64 as the strict Buffer reading does", (bytes, alphabet, unpadded) => {
    const data = Buffer.from(bytes).toString(alphabet as BufferEncoding);
    const written = unpadded ? data.replace(/=+$/, "") : data;
    expect(base64ToText(written)).toBe(strictReading(written));
  });
});

/** What base64ToText answered before its ASCII fast path: Buffer, refusing skipped characters and bytes that are not UTF-8. */
function strictReading(data: string): string | undefined {
  let end = data.length;
  while (end > 0 && data.charCodeAt(end - 1) === 0x3d) end--;
  if (end % 4 === 1) return undefined;
  const bytes = Buffer.from(data, "base64");
  if (bytes.length !== Math.floor((end * 3) / 4)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
