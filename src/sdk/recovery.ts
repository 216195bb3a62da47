/**
 * Finding work nobody is doing. Pending tasks whose execute message found nobody listening (or
 * died with an old process, or went to another process sharing the SQLite file) are offered to
 * this worker directly. Embedded mode also looks for tasks held by a dead process: embedded pids
 * name the host and OS process, so the holder's death is visible and its tasks are released at
 * once instead of when their leases run out.
 */
import { hostname } from "node:os";
import type { TaskRecord } from "../protocol/records.js";
import type { ProtocolClient } from "./client.js";
import type { Worker } from "./worker.js";

/** Nonces of the embedded instances alive in this process (an OS pid can be reused by a restart). */
export const liveEmbeddedNonces = new Set<string>();

export async function offerPendingTasks(client: ProtocolClient, worker: Worker): Promise<void> {
  for await (const task of tasksIn(client, "pending")) void worker.offer(task.id, task.version);
}

/** Releases the tasks of embedded holders that are gone; returns how many. */
export async function releaseDeadHolders(client: ProtocolClient): Promise<number> {
  let released = 0;
  for await (const task of tasksIn(client, "acquired")) {
    if (task.pid && isDeadEmbeddedHolder(task.pid)) {
      const answer = await client.send("task.release", { id: task.id, version: task.version });
      if (answer.head.status === 200) released++;
    }
  }
  return released;
}

async function* tasksIn(client: ProtocolClient, state: "acquired" | "pending"): AsyncGenerator<TaskRecord> {
  let cursor: string | undefined;
  do {
    const page = await client.expect("task.search", { state, limit: 500, ...(cursor ? { cursor } : {}) });
    yield* page.tasks;
    cursor = page.cursor;
  } while (cursor);
}

export function isDeadEmbeddedHolder(pid: string): boolean {
  const match = /^embedded:(.+):(\d+):([0-9a-f]+)$/.exec(pid);
  if (!match) return false;
  const [, host, osPid, nonce] = match;
  if (host !== hostname()) return false;
  if (Number(osPid) === process.pid) return !liveEmbeddedNonces.has(nonce!);
  try {
    process.kill(Number(osPid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
