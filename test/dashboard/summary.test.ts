import { describe, expect, it } from "vitest";
import { encodeValue } from "../../src/protocol/codec.js";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { isExecutionRoot, summarizeExecution } from "../../src/dashboard/summary.js";

const T0 = 1_700_000_000_000;

function record(id: string, tags: Record<string, string>, overrides: Partial<PromiseRecord> = {}): PromiseRecord {
  return { id, state: "pending", param: {}, value: {}, tags, timeoutAt: T0 + 60_000, createdAt: T0, ...overrides };
}

describe("isExecutionRoot", () => {
  it("accepts a Reprise root and refuses its steps, rpcs and promises", () => {
    expect(isExecutionRoot(record("wf", { "reprise:kind": "root" }))).toBe(true);
    expect(isExecutionRoot(record("wf.1", { "reprise:kind": "step" }))).toBe(false);
    const rpc = { "reprise:kind": "rpc", "resonate:target": "poll://any@g", "resonate:scope": "global", "resonate:origin": "wf" };
    expect(isExecutionRoot(record("wf.2", rpc))).toBe(false);
    expect(isExecutionRoot(record("approve", { "reprise:kind": "promise" }))).toBe(false);
  });

  it("accepts another SDK's top-level promise: a target, global scope, its own origin", () => {
    const tags = { "resonate:target": "poll://any@default", "resonate:scope": "global" };
    expect(isExecutionRoot(record("order", tags))).toBe(true);
    expect(isExecutionRoot(record("order", { ...tags, "resonate:origin": "order" }))).toBe(true);
    expect(isExecutionRoot(record("order.1", { ...tags, "resonate:origin": "order" }))).toBe(false);
    expect(isExecutionRoot(record("plain", { "resonate:scope": "global" }))).toBe(false);
  });
});

describe("summarizeExecution", () => {
  it("names the function and measures a settled execution", () => {
    const settled = record("wf", { "reprise:kind": "root", "reprise:func": "order" }, { state: "resolved", settledAt: T0 + 1500 });
    expect(summarizeExecution(settled)).toEqual({
      id: "wf",
      state: "resolved",
      func: "order",
      createdAt: T0,
      settledAt: T0 + 1500,
      durationMs: 1500,
      timeoutAt: T0 + 60_000,
      tags: settled.tags,
    });
  });

  it("leaves the duration out while pending and reads the function from the param without a tag", () => {
    const summary = summarizeExecution(record("wf", {}, { param: encodeValue({ func: "ship", args: [] }) }));
    expect(summary.func).toBe("ship");
    expect(summary.durationMs).toBeUndefined();
    expect(summary.settledAt).toBeUndefined();
  });
});
