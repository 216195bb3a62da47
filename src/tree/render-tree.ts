/** Renders a call tree as text for the terminal: one line per promise, `├─` / `└─` branches. */
import { attemptsOf } from "../protocol/outcomes.js";
import type { TreeNode } from "./build-tree.js";
import { describeNotAwaited } from "./not-awaited.js";
import { describePickups, type TaskView } from "./pickups.js";

export interface RenderOptions {
  /** The moment pending timings are measured from. */
  now: number;
  /** The execution's task: who holds it, and how often it was picked up (shown on the root's line). */
  task?: TaskView;
}

export function renderTree(root: TreeNode, options: RenderOptions): string {
  const task = options.task && `[${describeTask(options.task, options.now)}]`;
  const lines = [[describe(root, options.now), task].filter(Boolean).join("  ")];
  appendChildren(root, "", options.now, lines);
  return lines.join("\n");
}

/** `1ms`, `850ms`, `1.2s`, `3m 5s`, `2h 10m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const value = Math.max(0, Math.round(ms));
  if (value < 1000) return `${value}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)}s`;
  const seconds = Math.floor(value / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

function appendChildren(node: TreeNode, indent: string, now: number, lines: string[]): void {
  node.children.forEach((child, index) => {
    const last = index === node.children.length - 1;
    lines.push(`${indent}${last ? "└─ " : "├─ "}${describe(child, now)}`);
    appendChildren(child, `${indent}${last ? "   " : "│  "}`, now, lines);
  });
}

function describe(node: TreeNode, now: number): string {
  // A sleep's or a promise's func is its kind again: say it once.
  const what = [node.kind, node.func === node.kind ? undefined : node.func].filter((part) => part !== undefined).join(" ");
  const attempts = attemptsOf(node.value) ?? 1;
  return [node.id, what && `(${what})`, node.state, timing(node, now), attempts > 1 && `${attempts} attempts`].filter(Boolean).join("  ");
}

function timing(node: TreeNode, now: number): string {
  if (node.settledAt !== undefined) return `took ${formatDuration(node.settledAt - node.createdAt)}`;
  if (node.state !== "pending") return "";
  // Nothing waits for it: a countdown would read as if the execution did.
  if (node.notAwaited) return describeNotAwaited(node.notAwaited);
  if (node.kind === "sleep") return now < node.timeoutAt ? `wakes in ${formatDuration(node.timeoutAt - now)}` : "waking";
  const running = `for ${formatDuration(now - node.createdAt)}`;
  return now < node.timeoutAt ? `${running}, times out in ${formatDuration(node.timeoutAt - now)}` : `${running}, timing out`;
}

/** `task acquired by embedded:host:42:ab12, lease ends in 9.0s · run 2 times (1 wait)`. */
export function describeTask(task: TaskView, now: number): string {
  const holder = task.state === "acquired" && task.pid !== undefined ? ` by ${task.pid}` : "";
  const lease =
    task.expiresAt === undefined ? "" : task.state === "acquired" ? `, lease ${until(task.expiresAt, now, "ends")}` : task.state === "pending" ? `, offered again ${until(task.expiresAt, now, "")}` : "";
  return `task ${task.state}${holder}${lease} · ${describePickups(task)}`;
}

function until(at: number, now: number, verb: string): string {
  const when = at > now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
  return verb ? `${verb} ${when}` : when;
}
