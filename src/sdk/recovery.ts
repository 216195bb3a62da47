/**
 * Recovery at start-up. Pending tasks whose execute message found nobody listening (or died with
 * an old process) are offered to this worker directly. Embedded only: a process killed mid-workflow left tasks acquired under its pid.
 * Embedded pids name the host and OS process, so a restarted process can see that holder is gone
 * and release its tasks at once instead of waiting for the lease to run out.
 */
import { hostname } from "node:os";
import type { TaskRecord } from "../protocol/records.js";
import type { ProtocolClient } from "./client.js";
import type { Worker } from "./worker.js";

/** Nonces of the embedded instances alive in this process (an OS pid can be reused by a restart). */
export const liveEmbeddedNonces = new Set<string>();

export async function recoverOrphanedTasks(client: ProtocolClient, worker: Worker, embedded: boolean): Promise<void> {
  if (embedded) {
    for await (const task of tasksIn(client, "acquired")) {
      if (task.pid && isDeadEmbeddedHolder(task.pid)) {
        await client.send("task.release", { id: task.id, version: task.version });
      }
    }
  }
  for await (const task of tasksIn(client, "pending")) {
    void worker.offer(task.id, task.version);
  }
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
