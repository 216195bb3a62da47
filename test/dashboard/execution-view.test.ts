import { describe, expect, it } from "vitest";
import { encodeValue } from "../../src/protocol/codec.js";
import type { PromiseRecord } from "../../src/protocol/records.js";
import type { ExecutionNode } from "../../src/dashboard/api-types.js";
import { assembleExecution } from "../../src/dashboard/execution-view.js";

const T0 = 1_700_000_000_000;

function record(id: string, kind: string, overrides: Partial<PromiseRecord> = {}): PromiseRecord {
  const parent = id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : id;
  return {
    id,
    state: "resolved",
    param: {},
    value: {},
    tags: { "reprise:kind": kind, "reprise:func": kind === "root" ? "order" : "charge", "resonate:parent": parent, "resonate:origin": "wf" },
    timeoutAt: T0 + 60_000,
    createdAt: T0,
    settledAt: T0 + 10,
    ...overrides,
  };
}

function ids(node: ExecutionNode): unknown {
  return node.children.length ? { [node.id]: node.children.map(ids) } : node.id;
}

describe("assembleExecution", () => {
  it("decodes arguments and results and reads the attempt count", () => {
    const step = record("wf.1", "step", {
      param: encodeValue({ func: "charge", args: [42], version: 1 }),
      value: { ...encodeValue({ charged: 42 }), headers: { "reprise:attempts": "3" } },
    });
    const root = assembleExecution("wf", [record("wf", "root"), step])!;
    const child = root.children[0]!;
    expect(child).toMatchObject({ id: "wf.1", kind: "step", func: "charge", attempts: 3 });
    expect(child.param?.text).toBe("[\n  42\n]");
    expect(JSON.parse(child.value!.text)).toEqual({ charged: 42 });
    expect(child.error).toBeUndefined();
  });

  it("shows the error and stack of a rejected step", () => {
    const failure = new Error("card declined");
    const step = record("wf.1", "step", { state: "rejected", value: encodeValue(failure) });
    const child = assembleExecution("wf", [record("wf", "root"), step])!.children[0]!;
    expect(child.error).toMatchObject({ name: "Error", message: "card declined" });
    expect(child.error?.stack).toContain("card declined");
  });

  it("keeps kinds the tree builder does not know (workflow, race)", () => {
    const tree = assembleExecution("wf", [record("wf", "root"), record("wf.1", "workflow"), record("wf.1.1", "step"), record("wf.2", "race")])!;
    expect(tree.children.map((child) => child.kind)).toEqual(["workflow", "race"]);
    expect(tree.children[0]!.children[0]!.kind).toBe("step");
  });

  it("hangs a promise with an id of its own under the node its parent tag names", () => {
    const approval = record("approve-7", "promise", { state: "pending", settledAt: undefined, createdAt: T0 + 5 });
    approval.tags["resonate:parent"] = "wf.2";
    const records = [record("wf", "root"), record("wf.1", "step", { createdAt: T0 + 1 }), record("wf.2", "workflow", { createdAt: T0 + 2 }), record("wf.2.1", "step", { createdAt: T0 + 9 }), approval];
    expect(ids(assembleExecution("wf", records)!)).toEqual({ wf: ["wf.1", { "wf.2": ["approve-7", "wf.2.1"] }] });
  });

  it("leaves out promises whose parent is not in this execution", () => {
    const stranger = record("other", "promise");
    stranger.tags["resonate:parent"] = "elsewhere";
    expect(ids(assembleExecution("wf", [record("wf", "root"), stranger])!)).toBe("wf");
  });

  it("folds values longer than the limit", () => {
    const step = record("wf.1", "step", { value: encodeValue("y".repeat(500)) });
    const value = assembleExecution("wf", [record("wf", "root"), step], { foldLimit: 50 })!.children[0]!.value!;
    expect(value).toMatchObject({ folded: true, size: 502 });
    expect(value.text).toHaveLength(50);
  });

  it("is undefined when the root is missing", () => {
    expect(assembleExecution("wf", [record("wf.1", "step")])).toBeUndefined();
  });
});
