/**
 * One execution as the dashboard shows it: the call tree from src/tree, plus promises created
 * with ids of their own (`ctx.promise({ id })`) hung under their `resonate:parent`, with every
 * payload decoded and folded. Pure: records in, view out.
 */
import type { PromiseRecord } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import type { TreeNode } from "../tree/build-tree.js";
import { buildExecutionTree } from "../tree/execution-tree.js";
import type { ExecutionNode, ExecutionNodeKind } from "./api-types.js";
import { argumentsOf, attemptsOf, decodeData, DEFAULT_FOLD_LIMIT, errorOf, showValue } from "./values.js";

export interface AssembleOptions {
  /** Characters of a value shown before it is folded. */
  foldLimit?: number;
}

/** The view of execution `rootId`, or undefined when its root is not among `records`. */
export function assembleExecution(rootId: string, records: readonly PromiseRecord[], options: AssembleOptions = {}): ExecutionNode | undefined {
  const tree = buildExecutionTree(rootId, records);
  if (!tree) return undefined;
  const byId = new Map(records.map((record) => [record.id, record]));
  return toExecutionNode(tree, byId, options.foldLimit ?? DEFAULT_FOLD_LIMIT);
}

// ---------------------------------------------------------------------------------------------

const KINDS: readonly string[] = ["root", "step", "workflow", "sleep", "promise", "race", "rpc", "patch"] satisfies ExecutionNodeKind[];

function toExecutionNode(node: TreeNode, byId: ReadonlyMap<string, PromiseRecord>, foldLimit: number): ExecutionNode {
  const record = byId.get(node.id);
  const view: ExecutionNode = {
    id: node.id,
    state: node.state,
    createdAt: node.createdAt,
    timeoutAt: node.timeoutAt,
    children: node.children.map((child) => toExecutionNode(child, byId, foldLimit)),
  };
  if (node.func !== undefined) view.func = node.func;
  const kind = kindOf(record, node);
  if (kind !== undefined) view.kind = kind;
  if (node.settledAt !== undefined) view.settledAt = node.settledAt;
  const attempts = attemptsOf(node.value);
  if (attempts !== undefined) view.attempts = attempts;
  if (node.notAwaited !== undefined) view.notAwaited = node.notAwaited;

  const param = decodeData(node.param.data);
  if (param) view.param = showValue(param.ok ? { ok: true, value: argumentsOf(param.value) } : param, foldLimit);
  const value = decodeData(node.value.data);
  if (value) {
    view.value = showValue(value, foldLimit);
    const error = node.state !== "resolved" && value.ok ? errorOf(value.value) : undefined;
    if (error) view.error = error;
  }
  return view;
}

/** The recorded `reprise:kind` (the tree builder knows fewer kinds than the SDK writes). */
function kindOf(record: PromiseRecord | undefined, node: TreeNode): ExecutionNodeKind | undefined {
  const tagged = record?.tags[TAG.kind];
  if (tagged !== undefined && KINDS.includes(tagged)) return tagged as ExecutionNodeKind;
  return node.kind;
}

