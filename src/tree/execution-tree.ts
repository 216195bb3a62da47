/**
 * The whole call tree of an execution: the tree by ids (`${parent}.${n}`) from build-tree, plus
 * the promises created with ids of their own (`ctx.promise({ id })`), hung under the node their
 * `resonate:parent` tag names. Pure: records in, tree out. The CLI and the dashboard both use it.
 */
import type { PromiseRecord } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import { buildTree, type TreeNode } from "./build-tree.js";
import { markNotAwaited } from "./not-awaited.js";

export function buildExecutionTree(rootId: string, records: readonly PromiseRecord[]): TreeNode | undefined {
  const tree = buildTree(rootId, records);
  if (tree) {
    graftByParentTag(tree, records);
    markNotAwaited(tree);
  }
  return tree;
}

/**
 * Adds to `tree` the promises whose ids do not extend their parent's (named with `{ id }`), under
 * the node their `resonate:parent` tag names, with whatever hangs under them by id.
 */
export function graftByParentTag(tree: TreeNode, records: readonly PromiseRecord[]): void {
  const placed = new Map<string, TreeNode>();
  const place = (node: TreeNode): void => {
    placed.set(node.id, node);
    node.children.forEach(place);
  };
  place(tree);
  let pending = records.filter((record) => !placed.has(record.id));
  for (let progress = true; progress; ) {
    progress = false;
    const waiting: PromiseRecord[] = [];
    for (const record of pending) {
      if (placed.has(record.id)) continue;
      const parent = placed.get(record.tags[TAG.parent] ?? "");
      const subtree = parent && buildTree(record.id, records);
      if (!parent || !subtree) {
        waiting.push(record);
        continue;
      }
      insertByCreation(parent.children, subtree);
      place(subtree);
      progress = true;
    }
    pending = waiting;
  }
}

function insertByCreation(siblings: TreeNode[], node: TreeNode): void {
  const later = siblings.findIndex((sibling) => sibling.createdAt > node.createdAt);
  if (later < 0) siblings.push(node);
  else siblings.splice(later, 0, node);
}
