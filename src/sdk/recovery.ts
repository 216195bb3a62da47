/**
 * Finding work nobody is doing. Pending tasks whose execute message found nobody listening (or
 * died with an old process, or went to another process sharing the SQLite file) are offered to
 * this worker directly. Embedded mode also looks for tasks held by a dead process: embedded pids
 * name the host and OS process, so the holder's death is visible and its tasks are taken over at
 * once instead of when their leases run out.
 *
 * Both walk the tasks a page at a time and act on a whole page at once: the store commits
 * concurrent requests together, so a restart with thousands of tasks to resume pays a handful of
 * commits per page instead of one round trip per task. Take-overs wait for the end of the walk
 * (see takeOverDeadHolders).
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { TaskRecord } from "../protocol/records.js";
import type { ProtocolClient } from "./client.js";

/** Nonces of the embedded instances alive in this process (an OS pid can be reused by a restart). */
export const liveEmbeddedNonces = new Set<string>();

/** Tasks read per request. */
export const RECOVERY_PAGE = 1000;

export interface Walk {
  /** Whether to read another page; false stops the walk early (it resumes at the next sweep). */
  more?: () => boolean;
}

/**
 * Offers every pending task to `offer` (which queues it: see Admission). Returns whether the
 * walk reached the end.
 */
export async function offerPendingTasks(client: ProtocolClient, offer: (taskId: string, version: number) => void, walk: Walk = {}): Promise<boolean> {
  const progress = { complete: false };
  for await (const page of pagesOf(client, "pending", walk, progress)) {
    // A task queued by flow control is dispatched by the store when its function has room.
    for (const task of page) if (!task.queued) offer(task.id, task.version);
  }
  return progress.complete;
}

/**
 * Takes over the tasks of embedded holders that are gone: each is handed to `takeOver` (which
 * queues it, like any offer, and acquires it from the dead holder in one write). Returns how many
 * it found and whether the walk reached the end.
 *
 * They are handed over once the walk is done, not page by page: the take-overs then reach the
 * store together, and every execution of the dead process takes its next step before any runs
 * on to its end. Page by page, the first pages' executions would finish (their later steps, their
 * fulfilment) while the last page's still waited for their first step: resuming them all would
 * take as long as finishing them all.
 */
export async function takeOverDeadHolders(
  client: ProtocolClient,
  takeOver: (taskId: string, version: number, holder: string) => void,
  /** `max`: most tasks this walk hands over; past it the walk stops early too. */
  walk: Walk & { max?: number } = {},
): Promise<{ found: number; complete: boolean }> {
  const found: TaskRecord[] = [];
  const max = walk.max ?? Number.POSITIVE_INFINITY;
  const more = () => found.length < max && (walk.more?.() ?? true);
  const dead = new Map<string, boolean>();
  const isDead = (pid: string): boolean => {
    let answer = dead.get(pid);
    if (answer === undefined) dead.set(pid, (answer = isDeadEmbeddedHolder(pid)));
    return answer;
  };
  const progress = { complete: false };
  for await (const page of pagesOf(client, "acquired", { more }, progress)) {
    for (const task of page) if (task.pid !== undefined && isDead(task.pid)) found.push(task);
  }
  // The last page may go past `max`: what is past it is found again by the next walk.
  const handed = found.slice(0, max);
  for (const task of handed) takeOver(task.id, task.version, task.pid!);
  return { found: handed.length, complete: progress.complete && handed.length === found.length };
}

async function* pagesOf(client: ProtocolClient, state: "acquired" | "pending", walk: Walk, progress: { complete: boolean }): AsyncGenerator<TaskRecord[]> {
  let cursor: string | undefined;
  do {
    if (walk.more && !walk.more()) return;
    const page = await client.expect("task.search", { state, limit: RECOVERY_PAGE, ...(cursor ? { cursor } : {}) });
    yield page.tasks;
    cursor = page.cursor;
  } while (cursor);
  progress.complete = true;
}

export function isDeadEmbeddedHolder(pid: string): boolean {
  const match = /^embedded:(.+):(\d+):([0-9a-f]+)$/.exec(pid);
  if (!match) return false;
  const [, host, osPid, nonce] = match;
  if (host !== hostname()) return false;
  if (Number(osPid) === process.pid) return !liveEmbeddedNonces.has(nonce!);
  try {
    process.kill(Number(osPid), 0);
    // Signalable, but a zombie (killed, not yet reaped by its parent) runs nothing either.
    return isZombie(Number(osPid));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Linux: the process's state in /proc is Z. Elsewhere (no /proc) nothing is known: not a zombie. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}
