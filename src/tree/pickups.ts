/**
 * Was an execution taken over after a crash? The store keeps no record per attempt; what it keeps
 * is the task's version, which every acquire raises by one. A healthy execution is acquired once
 * when it starts and once per resume after a wait, so a version beyond 1 + (the waits that could
 * have resumed it) counts pick-ups that no wait explains: a lease that ran out (a dead, stopped or
 * stalled process) and the take-over of a dead holder's task — or, rarely, a task its worker gave
 * back. The count of waits is an upper bound (a wait already settled when reached, or several
 * settling together, resume nothing), so the take-overs are a lower bound: never claimed falsely.
 */
import type { PromiseState, TaskRecord } from "../protocol/records.js";

export interface Pickups {
  /** Times a process acquired the execution's task (its version). */
  runs: number;
  /** Settled sleeps, promises and remote calls: the most resumes the execution can have had. */
  waits: number;
  /** Acquires that no wait explains, at least: take-overs after a lost lease or a dead process. */
  takenOver: number;
}

/** The execution's task as the dashboard and the CLI show it. */
export interface TaskView extends Pickups {
  state: TaskRecord["state"];
  /** The process holding it now (while acquired). */
  pid?: string;
  /** When its lease (acquired) or its re-delivery (pending) runs out. */
  expiresAt?: number;
}

const WAITS: ReadonlySet<string> = new Set(["sleep", "promise", "rpc"]);

/** What counting waits needs of a tree: the CLI's TreeNode and the dashboard's ExecutionNode both fit. */
export interface CallNode {
  state: PromiseState;
  kind?: string;
  children: readonly CallNode[];
}

export function pickupsOf(version: number, tree: CallNode): Pickups {
  const waits = tree.children.reduce((sum, child) => sum + countWaits(child), 0);
  return { runs: version, waits, takenOver: Math.max(0, version - 1 - waits) };
}

export function taskViewOf(task: TaskRecord, tree: CallNode): TaskView {
  const view: TaskView = { state: task.state, ...pickupsOf(task.version, tree) };
  if (task.pid !== undefined) view.pid = task.pid;
  if (task.expiresAt !== undefined) view.expiresAt = task.expiresAt;
  return view;
}

/** `run 4 times (3 waits) · taken over at least once` — one line for a summary. */
export function describePickups(pickups: Pickups): string {
  if (pickups.runs === 0) return "not run yet";
  const runs = `run ${times(pickups.runs)} (${pickups.waits} ${pickups.waits === 1 ? "wait" : "waits"})`;
  return pickups.takenOver > 0 ? `${runs} · taken over at least ${times(pickups.takenOver)} after a lost lease or a dead process` : runs;
}

function times(count: number): string {
  return count === 1 ? "once" : count === 2 ? "twice" : `${count} times`;
}

function countWaits(node: CallNode): number {
  const own = node.state !== "pending" && WAITS.has(node.kind ?? "") ? 1 : 0;
  return node.children.reduce((sum, child) => sum + countWaits(child), own);
}
