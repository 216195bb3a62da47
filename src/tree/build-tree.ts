/**
 * The call tree of one execution, built from its promise records: the root and every promise
 * whose id extends it. Pure: no I/O, no Node-only APIs, so the dashboard can use it in a browser.
 */
import type { PromiseRecord, PromiseState, Value } from "../protocol/records.js";
import { decodeCall } from "../protocol/calls.js";
import { decodePayload } from "../protocol/payload.js";
import { TAG } from "../protocol/tags.js";

export type NodeKind = "root" | "step" | "workflow" | "sleep" | "promise" | "race" | "rpc" | "patch";

export interface TreeNode {
  id: string;
  state: PromiseState;
  /** The function the promise runs, if known. */
  func?: string;
  kind?: NodeKind;
  timeoutAt: number;
  createdAt: number;
  settledAt?: number;
  param: Value;
  value: Value;
  children: TreeNode[];
  /** Pending, but nothing waits for it any more (see not-awaited.ts; set by buildExecutionTree). */
  notAwaited?: NotAwaited;
}

/** Why a pending node is shown as awaited by nothing (see not-awaited.ts). */
export interface NotAwaited {
  reason: "ended" | "race";
  /** The settled workflow (ended) or race (race) that says so. */
  by: string;
}

/**
 * Builds the tree under `rootId`. Children of X are the ids `X.n` (Reprise) or `X:n` (the
 * official SDK's first level), ordered numerically. A promise whose parent record is missing
 * hangs under its nearest recorded ancestor. Returns undefined when the root is not among
 * `promises`.
 */
export function buildTree(rootId: string, promises: readonly PromiseRecord[]): TreeNode | undefined {
  const byId = new Map<string, TreeNode>();
  for (const promise of promises) {
    if (promise.id === rootId || isDescendant(promise.id, rootId)) byId.set(promise.id, toNode(promise, rootId));
  }
  const root = byId.get(rootId);
  if (!root) return undefined;

  for (const node of byId.values()) {
    if (node !== root) byId.get(nearestAncestor(node.id, rootId, byId))!.children.push(node);
  }
  for (const node of byId.values()) node.children.sort((a, b) => compareIds(a.id, b.id));
  return root;
}

/** The function name a promise records: the `reprise:func` tag, else the `func` of its call param. */
export function funcOf(promise: Pick<PromiseRecord, "tags" | "param">): string | undefined {
  return promise.tags[TAG.func] || decodeCall(promise.param).func;
}

/** Decodes a Value's data as the SDK codec writes it (base64 of JSON); undefined if it cannot be read. */
export function decodeJson(data: string | undefined): unknown {
  const decoded = decodePayload(data);
  return decoded?.ok ? decoded.value : undefined;
}

// ---------------------------------------------------------------------------------------------

const SEPARATORS = [".", ":"];
const NODE_KINDS: readonly string[] = ["root", "step", "workflow", "sleep", "promise", "race", "rpc", "patch"] satisfies NodeKind[];

function isDescendant(id: string, ancestor: string): boolean {
  return id.length > ancestor.length + 1 && id.startsWith(ancestor) && SEPARATORS.includes(id[ancestor.length]!);
}

function nearestAncestor(id: string, rootId: string, byId: ReadonlyMap<string, TreeNode>): string {
  for (let end = id.length - 1; end > rootId.length; end--) {
    if (SEPARATORS.includes(id[end]!) && byId.has(id.slice(0, end))) return id.slice(0, end);
  }
  return rootId;
}

/** Orders siblings by their segments, numbers numerically: `r.2` before `r.10`. */
function compareIds(a: string, b: string): number {
  const left = a.split(/[.:]/);
  const right = b.split(/[.:]/);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    const bothNumbers = /^\d+$/.test(x) && /^\d+$/.test(y);
    return bothNumbers ? Number(x) - Number(y) : x < y ? -1 : 1;
  }
  return left.length - right.length;
}

function toNode(promise: PromiseRecord, rootId: string): TreeNode {
  const node: TreeNode = {
    id: promise.id,
    state: promise.state,
    timeoutAt: promise.timeoutAt,
    createdAt: promise.createdAt,
    param: promise.param,
    value: promise.value,
    children: [],
  };
  const func = funcOf(promise);
  if (func !== undefined) node.func = func;
  const kind = kindOf(promise, rootId);
  if (kind !== undefined) node.kind = kind;
  if (promise.settledAt !== undefined) node.settledAt = promise.settledAt;
  return node;
}

/** The `reprise:kind` tag; for promises made by other SDKs, inferred from the Resonate tags. */
function kindOf(promise: PromiseRecord, rootId: string): NodeKind | undefined {
  const tagged = promise.tags[TAG.kind];
  if (tagged !== undefined && NODE_KINDS.includes(tagged)) return tagged as NodeKind;
  if (promise.id === rootId) return "root";
  if (promise.tags[TAG.timer] === "true") return "sleep";
  if (promise.tags[TAG.target] !== undefined) return "rpc";
  if (promise.tags[TAG.scope] === "local") return "step";
  if (promise.tags[TAG.scope] === "global") return "promise";
  return undefined;
}
