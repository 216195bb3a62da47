/**
 * Values nested too deep to render: the codec refuses to write one (its walk once overflowed the
 * stack), and a stored one (any client may write any base64) is read back raw, with a note, by
 * every reader instead of a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertSerializable, encodeValue, SerializationError } from "../../src/protocol/codec.js";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";
import { decodePayload } from "../../src/protocol/payload.js";

const MAX_JSON_DEPTH = DEFAULT_LIMITS.maxJsonDepth;
import { startTestServer, type TestServer } from "./harness.js";
import { nestedArrays } from "./raw-http.js";

const DEEP = 20_000;
const deepData = Buffer.from(nestedArrays(DEEP)).toString("base64");

function nested(depth: number): unknown {
  const root: unknown[] = [];
  let at = root;
  for (let i = 1; i < depth; i++) {
    const next: unknown[] = [];
    at.push(next);
    at = next;
  }
  return root;
}

describe("the codec", () => {
  it("refuses a value nested deeper than the limit with a SerializationError, not a stack overflow", () => {
    expect(() => encodeValue(nested(DEEP))).toThrow(SerializationError);
    expect(() => assertSerializable(nested(MAX_JSON_DEPTH + 1), "value")).toThrow(/more than 1000 levels deep/);
    expect(() => encodeValue(nested(MAX_JSON_DEPTH))).not.toThrow();
  });

  it("still finds cycles and non-JSON values, and lets a shared object appear twice", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { again: cyclic };
    expect(() => assertSerializable(cyclic, "value")).toThrow(/value\.self\.again refers back/);
    expect(() => assertSerializable({ a: [1, () => 1] }, "value")).toThrow(/value\.a\[1\] is a function/);
    const shared = { x: 1 };
    expect(assertSerializable({ a: shared, b: [shared] }, "value")).toBe(false);
    expect(assertSerializable({ a: [Number.POSITIVE_INFINITY] }, "value")).toBe(true);
  });

  it("decodePayload returns what it cannot render as raw text, with why", () => {
    expect(decodePayload(deepData)).toMatchObject({ ok: false, reason: "depth", raw: nestedArrays(DEEP) });
    expect(decodePayload(Buffer.from('{"a":[1]}').toString("base64"))).toEqual({ ok: true, value: { a: [1] } });
  });
});

describe("the server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    const param = { headers: {}, data: deepData };
    await server.send("promise.create", { id: "deep", timeoutAt: Date.now() + 60_000, param, tags: {} });
    await server.send("promise.create", { id: "deep.1", timeoutAt: Date.now() + 60_000, param, tags: {} });
    await server.send("promise.settle", { id: "deep.1", state: "resolved", value: param });
  });
  afterAll(() => server.close());

  it("shows a stored value it cannot render raw, with a note, on /api/promises/:id/values", async () => {
    const answer = await server.get("/api/promises/deep.1/values");
    expect(answer.status).toBe(200);
    const values = answer.body as { param: { text: string; json: boolean }; value: { text: string } };
    expect(values.param.json).toBe(false);
    expect(values.param.text).toContain(`shown raw: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(values.value.text).toContain(nestedArrays(DEEP));
  });

  it("answers /api/executions/:id, /api/executions and /promises/:id/tree for such a record", async () => {
    expect((await server.get("/api/executions/deep")).status).toBe(200);
    expect((await server.get("/api/executions")).status).toBe(200);
    expect((await server.get("/promises/deep/tree")).status).toBe(200);
  });
});
