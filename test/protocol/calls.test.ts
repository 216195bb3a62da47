import { describe, expect, it } from "vitest";
import { decodeCall, encodeCall, rootTags } from "../../src/protocol/calls.js";
import { SerializationError } from "../../src/protocol/codec.js";

describe("calls in promises", () => {
  it("round-trip a function name and its arguments", () => {
    expect(decodeCall(encodeCall("charge", ["order-7", 4200, { currency: "EUR" }]))).toEqual({
      func: "charge",
      args: ["order-7", 4200, { currency: "EUR" }],
    });
  });

  it("refuse arguments that cannot be stored, naming where", () => {
    expect(() => encodeCall("charge", [{ callback: () => 1 }])).toThrow(SerializationError);
    expect(() => encodeCall("charge", [{ callback: () => 1 }])).toThrow(/args\[0\]\.callback/);
  });

  it("read no call from a param that holds none", () => {
    expect(decodeCall({})).toEqual({ args: [] });
    expect(decodeCall({ data: "not base64 json" })).toEqual({ args: [] });
  });

  it("tag a root with its address and function, and its lineage when the id is known", () => {
    expect(rootTags("charge", "poll://any@billing", "order-7")).toEqual({
      "resonate:target": "poll://any@billing",
      "resonate:scope": "global",
      "resonate:origin": "order-7",
      "resonate:branch": "order-7",
      "resonate:parent": "order-7",
      "reprise:kind": "root",
      "reprise:func": "charge",
    });
    expect(rootTags("charge", "poll://any@billing")).not.toHaveProperty("resonate:origin");
  });
});
