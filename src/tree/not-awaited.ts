/**
 * Pending promises nothing waits for any more, so a tree does not show a timer that lost a race
 * as "pending · wakes in 50s" as if the execution were waiting on it. What the records can tell:
 *
 *   - "ended": the workflow that made it has settled (its parent node), so it never will be awaited;
 *   - "race": a `ctx.race` made after it, in the same workflow, has settled. The race's record keeps
 *     only the winner's index, not the futures it raced, so this says "a race after it settled":
 *     a timer not in that race may still be awaited later, which the label's explanation says.
 *
 * The promise itself stays pending in the store (a timer still fires at its time): its state is
 * not changed, only annotated. Pure: tree in, tree out.
 */
import type { NotAwaited, TreeNode } from "./build-tree.js";

/** Sets `notAwaited` on every pending node of `root` that nothing waits for (see above). */
export function markNotAwaited(root: TreeNode): void {
  visit(root);
}

/** One short phrase for a row: what the mark means. */
export function describeNotAwaited(mark: NotAwaited): string {
  return `not awaited: ${whyNotAwaited(mark)}`;
}

/** The reason alone, for a row that already says "not awaited" (the dashboard's badge). */
export function whyNotAwaited(mark: NotAwaited): string {
  return mark.reason === "ended" ? "its workflow ended" : `race ${mark.by} settled`;
}

/** The longer explanation (a tooltip), honest about what the records cannot tell. */
export function explainNotAwaited(mark: NotAwaited): string {
  return mark.reason === "ended"
    ? `${mark.by} settled without waiting for this; it stays pending in the store (a timer still fires) but nothing will use it`
    : `ctx.race ${mark.by}, made after this, has settled: if this was one of its futures, it lost and nothing waits for it (a timer still fires); if not, the workflow may still await it`;
}

function visit(node: TreeNode): void {
  const settled = node.state !== "pending";
  let raceSettled: TreeNode | undefined;
  // Later siblings first, so each child knows whether a settled race came after it.
  for (let index = node.children.length - 1; index >= 0; index--) {
    const child = node.children[index]!;
    if (child.kind === "race" && child.state !== "pending") raceSettled = child;
    if (child.state === "pending" && child.kind !== "race") {
      if (settled) child.notAwaited = { reason: "ended", by: node.id };
      else if (raceSettled && (child.kind === "sleep" || child.kind === "promise" || child.kind === "rpc" || child.kind === "workflow" || child.kind === "step")) {
        child.notAwaited = { reason: "race", by: raceSettled.id };
      }
    }
    visit(child);
  }
}
