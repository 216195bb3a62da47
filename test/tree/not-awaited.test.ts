/** Pending promises nothing waits for (issue 12: the losing timer of a finished race). */
import { describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { TAG } from "../../src/protocol/tags.js";
import type { TreeNode } from "../../src/tree/build-tree.js";
import { buildExecutionTree } from "../../src/tree/execution-tree.js";
import { renderTree } from "../../src/tree/render-tree.js";

const T0 = 1_700_000_000_000;

function promise(id: string, kind: string, state: PromiseRecord["state"], overrides: Partial<PromiseRecord> = {}): PromiseRecord {
  const settled = state === "pending" ? {} : { settledAt: T0 + 10 };
  return { id, state, param: {}, value: {}, tags: { [TAG.kind]: kind }, timeoutAt: T0 + 60_000, createdAt: T0, ...settled, ...overrides };
}

function find(node: TreeNode, id: string): TreeNode | undefined {
  if (node.id === id) return node;
  for (const child of node.children) {
    const found = find(child, id);
    if (found) return found;
  }
  return undefined;
}

function lineOf(tree: TreeNode, id: string): string {
  return renderTree(tree, { now: T0 + 10_000 }).split("\n").find((line) => line.includes(`${id}  `)) ?? "";
}

describe("not-awaited marks", () => {
  it("marks the losing timer of a race once the execution has ended, and stops counting it down", () => {
    const tree = buildExecutionTree("wf", [
      promise("wf", "root", "resolved"),
      promise("wf.1", "promise", "resolved"),
      promise("wf.2", "sleep", "pending"),
      promise("wf.3", "race", "resolved"),
    ])!;
    expect(find(tree, "wf.2")!.notAwaited).toEqual({ reason: "ended", by: "wf" });
    expect(find(tree, "wf.1")!.notAwaited).toBeUndefined();
    expect(find(tree, "wf.3")!.notAwaited).toBeUndefined();
    expect(lineOf(tree, "wf.2")).toContain("pending  not awaited: its workflow ended");
    expect(lineOf(tree, "wf.2")).not.toContain("wakes in");
  });

  it("marks a pending timer made before a settled race while the execution runs on, not the wait after it", () => {
    const tree = buildExecutionTree("wf", [
      promise("wf", "root", "pending"),
      promise("wf.1", "promise", "resolved"),
      promise("wf.2", "sleep", "pending"),
      promise("wf.3", "race", "resolved"),
      promise("wf.4", "sleep", "pending"),
    ])!;
    expect(find(tree, "wf.2")!.notAwaited).toEqual({ reason: "race", by: "wf.3" });
    expect(lineOf(tree, "wf.2")).toContain("not awaited: race wf.3 settled");
    // The sleep after the race is what the execution waits for now: counted down as before.
    expect(find(tree, "wf.4")!.notAwaited).toBeUndefined();
    expect(lineOf(tree, "wf.4")).toContain("wakes in 50s");
  });

  it("leaves a timer alone while its race is still undecided, and with no race at all", () => {
    const racing = buildExecutionTree("wf", [
      promise("wf", "root", "pending"),
      promise("wf.1", "promise", "pending"),
      promise("wf.2", "sleep", "pending"),
      promise("wf.3", "race", "pending"),
    ])!;
    expect(find(racing, "wf.1")!.notAwaited).toBeUndefined();
    expect(find(racing, "wf.2")!.notAwaited).toBeUndefined();
    const sleeping = buildExecutionTree("wf", [promise("wf", "root", "pending"), promise("wf.1", "sleep", "pending")])!;
    expect(find(sleeping, "wf.1")!.notAwaited).toBeUndefined();
  });

  it("marks what a finished child workflow left pending, though the root still runs", () => {
    const tree = buildExecutionTree("wf", [
      promise("wf", "root", "pending"),
      promise("wf.1", "workflow", "resolved"),
      promise("wf.1.1", "sleep", "pending"),
      promise("wf.2", "sleep", "pending"),
    ])!;
    expect(find(tree, "wf.1.1")!.notAwaited).toEqual({ reason: "ended", by: "wf.1" });
    expect(find(tree, "wf.2")!.notAwaited).toBeUndefined();
  });

  it("marks an external promise (named with its own id) that the ended execution never got", () => {
    const tree = buildExecutionTree("wf", [
      promise("wf", "root", "rejected"),
      promise("approve-7", "promise", "pending", { tags: { [TAG.kind]: "promise", [TAG.parent]: "wf", [TAG.origin]: "wf" } }),
    ])!;
    expect(find(tree, "approve-7")!.notAwaited).toEqual({ reason: "ended", by: "wf" });
  });
});
