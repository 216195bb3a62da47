/**
 * Finding work nobody is doing. Pending tasks whose execute message found nobody listening (or
 * died with an old process, or went to another process sharing the SQLite file) are offered to
 * this worker directly. Embedded mode also looks for tasks held by a dead process: embedded pids
 * name the host and OS process, so the holder's death is visible and its tasks are taken over at
 * once instead of when their leases run out.
 *
 * Pending tasks are walked a page at a time and offered a whole page at once: the store commits
 * concurrent requests together, so a restart with thousands of tasks to resume pays a handful of
 * commits per page instead of one round trip per task. A dead holder's tasks are not walked at
 * all: the store names the holders, and takes a dead one's tasks over in sets (see
 * takeOverDeadHolders).
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { MAX_SEARCH_LIMIT } from "../protocol/limits.js";
import type { TaskRecord } from "../protocol/records.js";
import type { Acquired } from "../protocol/requests.js";
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
  for await (const page of pendingPages(client, walk, progress)) {
    // A task queued by flow control is dispatched by the store when its function has room.
    for (const task of page) if (!task.queued) offer(task.id, task.version);
  }
  return progress.complete;
}

/**
 * Takes over the tasks of embedded holders that are gone, at most `max` of them: the store is
 * asked which processes hold tasks, and every task of each dead one is acquired from it in sets
 * (`reprise.take_over`, a thousand a request). Each taken task is handed to `run` once all are
 * taken, not request by request: the executions' next steps then reach the store together, and
 * every execution of the dead process takes its next step before any runs on to its end.
 * Request by request, the first ones' executions would finish (their later steps, their
 * fulfilment) while the last ones still waited for their first step: resuming them all would take
 * as long as finishing them all. Returns how many it took and whether every dead holder's tasks
 * were taken.
 */
export async function takeOverDeadHolders(
  client: ProtocolClient,
  run: (taken: Acquired) => void,
  { pid, ttl, max }: { pid: string; ttl: number; max: number },
): Promise<{ taken: number; complete: boolean }> {
  const dead: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.expect("reprise.holders", { limit: MAX_SEARCH_LIMIT, ...(cursor ? { cursor } : {}) });
    for (const holder of page.holders) if (isDeadEmbeddedHolder(holder)) dead.push(holder);
    cursor = page.cursor;
  } while (cursor);
  const taken: Acquired[] = [];
  for (const holder of dead) {
    let after: string | undefined;
    do {
      if (taken.length >= max) return handOver(taken, run, false);
      const limit = Math.min(MAX_SEARCH_LIMIT, max - taken.length);
      const page = await client.expect("reprise.take_over", { holder, pid, ttl, limit, ...(after ? { cursor: after } : {}) });
      taken.push(...page.taken);
      after = page.cursor;
    } while (after);
  }
  return handOver(taken, run, true);
}

function handOver(taken: Acquired[], run: (taken: Acquired) => void, complete: boolean): { taken: number; complete: boolean } {
  for (const acquired of taken) run(acquired);
  return { taken: taken.length, complete };
}

async function* pendingPages(client: ProtocolClient, walk: Walk, progress: { complete: boolean }): AsyncGenerator<TaskRecord[]> {
  let cursor: string | undefined;
  do {
    if (walk.more && !walk.more()) return;
    const page = await client.expect("task.search", { state: "pending", limit: RECOVERY_PAGE, ...(cursor ? { cursor } : {}) });
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
