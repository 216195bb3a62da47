import { describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { TAG } from "../../src/protocol/tags.js";
import { buildTree, decodeJson, funcOf, type TreeNode } from "../../src/tree/build-tree.js";
import { buildExecutionTree } from "../../src/tree/execution-tree.js";
import { formatDuration, renderTree } from "../../src/tree/render-tree.js";

const T0 = 1_700_000_000_000;

function promise(id: string, overrides: Partial<PromiseRecord> = {}): PromiseRecord {
  return { id, state: "resolved", param: {}, value: {}, tags: {}, timeoutAt: T0 + 60_000, createdAt: T0, settledAt: T0 + 10, ...overrides };
}

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64");
}

function ids(node: TreeNode): unknown {
  return node.children.length ? { [node.id]: node.children.map(ids) } : node.id;
}

describe("buildTree", () => {
  it("nests children under their parents, ordered numerically", () => {
    const records = ["wf.10", "wf.2", "wf", "wf.2.1", "wf.1", "wf.2.10", "wf.2.9"].map((id) => promise(id));
    const tree = buildTree("wf", records)!;
    expect(ids(tree)).toEqual({ wf: ["wf.1", { "wf.2": ["wf.2.1", "wf.2.9", "wf.2.10"] }, "wf.10"] });
  });

  it("leaves out promises of other executions, even with a common prefix", () => {
    const tree = buildTree("wf", [promise("wf"), promise("wf.1"), promise("wf2"), promise("wf2.1"), promise("other.1")])!;
    expect(ids(tree)).toEqual({ wf: ["wf.1"] });
  });

  it("understands the official SDK's first-level separator (root:1, root:1.1)", () => {
    const tree = buildTree("order", [promise("order"), promise("order:2"), promise("order:1"), promise("order:1.1")])!;
    expect(ids(tree)).toEqual({ order: [{ "order:1": ["order:1.1"] }, "order:2"] });
  });

  it("hangs a promise whose parent record is missing under its nearest recorded ancestor", () => {
    const tree = buildTree("wf", [promise("wf"), promise("wf.3.1.2"), promise("wf.3")])!;
    expect(ids(tree)).toEqual({ wf: [{ "wf.3": ["wf.3.1.2"] }] });
  });

  it("returns undefined when the root is missing", () => {
    expect(buildTree("wf", [promise("wf.1")])).toBeUndefined();
  });

  it("carries state, timings, func and kind from the records", () => {
    const tree = buildTree("wf", [
      promise("wf", { tags: { [TAG.func]: "signup", [TAG.kind]: "root" }, state: "pending", settledAt: undefined }),
      promise("wf.1", { param: { data: base64Json({ func: "charge", args: [1] }) }, tags: { [TAG.scope]: "local" } }),
      promise("wf.2", { tags: { [TAG.timer]: "true", [TAG.target]: "poll://any@default" }, timeoutAt: T0 + 5000 }),
    ])!;
    expect(tree).toMatchObject({ id: "wf", state: "pending", func: "signup", kind: "root", createdAt: T0 });
    expect(tree.settledAt).toBeUndefined();
    expect(tree.children[0]).toMatchObject({ func: "charge", kind: "step", settledAt: T0 + 10 });
    expect(tree.children[1]).toMatchObject({ kind: "sleep", timeoutAt: T0 + 5000 });
  });

  it("does not mutate its input", () => {
    const records = [promise("wf"), promise("wf.1")];
    const copy = structuredClone(records);
    buildTree("wf", records);
    expect(records).toEqual(copy);
  });
});

describe("funcOf / decodeJson", () => {
  it("prefers the reprise:func tag, then the param's func", () => {
    expect(funcOf({ tags: { [TAG.func]: "a" }, param: { data: base64Json({ func: "b" }) } })).toBe("a");
    expect(funcOf({ tags: {}, param: { data: base64Json({ func: "b" }) } })).toBe("b");
    expect(funcOf({ tags: {}, param: { data: "not base64 json" } })).toBeUndefined();
    expect(funcOf({ tags: {}, param: {} })).toBeUndefined();
  });

  it("decodes base64 JSON including non-ASCII text", () => {
    expect(decodeJson(base64Json({ name: "Zoë ✓" }))).toEqual({ name: "Zoë ✓" });
    expect(decodeJson(undefined)).toBeUndefined();
  });
});

describe("renderTree", () => {
  it("draws branches with state and timings", () => {
    const tree = buildTree("wf", [
      promise("wf", { tags: { [TAG.func]: "signup", [TAG.kind]: "root" }, state: "pending", settledAt: undefined }),
      promise("wf.1", { tags: { [TAG.func]: "charge", [TAG.kind]: "step" }, settledAt: T0 + 35 }),
      promise("wf.1.1", { tags: { [TAG.kind]: "step" }, state: "rejected", settledAt: T0 + 1200 }),
      promise("wf.2", { tags: { [TAG.kind]: "sleep" }, state: "pending", settledAt: undefined, timeoutAt: T0 + 5000 }),
    ])!;
    expect(renderTree(tree, { now: T0 + 800 })).toBe(
      [
        "wf  (root signup)  pending  for 800ms, times out in 59s",
        "├─ wf.1  (step charge)  resolved  took 35ms",
        "│  └─ wf.1.1  (step)  rejected  took 1.2s",
        "└─ wf.2  (sleep)  pending  wakes in 4.2s",
      ].join("\n"),
    );
  });
});

describe("formatDuration", () => {
  it("picks a readable unit", () => {
    expect([0, 999, 1500, 12_000, 185_000, 7_800_000, 2 * 86_400_000].map(formatDuration)).toEqual([
      "0ms",
      "999ms",
      "1.5s",
      "12s",
      "3m 5s",
      "2h 10m",
      "2d 0h",
    ]);
  });
});

describe("buildExecutionTree", () => {
  it("hangs promises created with their own ids under the node their parent tag names", () => {
    const records = [
      promise("order-9", { createdAt: T0 }),
      promise("order-9.1", { createdAt: T0 + 1, tags: { [TAG.kind]: "step" } }),
      promise("order-9.2", { createdAt: T0 + 2, tags: { [TAG.kind]: "workflow" } }),
      promise("approve-order-9", { createdAt: T0 + 3, tags: { [TAG.kind]: "promise", [TAG.parent]: "order-9.2" } }),
      promise("approve-order-9.1", { createdAt: T0 + 4 }),
      promise("order-9.3", { createdAt: T0 + 5, tags: { [TAG.kind]: "race" } }),
    ];
    const tree = buildExecutionTree("order-9", records)!;
    expect(ids(tree)).toEqual({ "order-9": ["order-9.1", { "order-9.2": [{ "approve-order-9": ["approve-order-9.1"] }] }, "order-9.3"] });
    expect(tree.children.map((child) => child.kind)).toEqual(["step", "workflow", "race"]);
  });
});
