/**
 * Recovery in sets (Reprise extensions): which processes hold tasks, and taking over every task of
 * one that is dead in one request. A restarted embedded process used to read every acquired task
 * (and its promise) to find the dead holder's, then acquire them one request each; now it reads
 * the holders, and takes a dead one's tasks over a thousand a transaction.
 *
 * Each task is taken over exactly as `task.acquire` with `holder` takes one (tasks.ts): the same
 * checks, the same write, the same preload. A task that cannot be taken (its promise settled or
 * timed out meanwhile) is passed over: the cursor moves past it, so a request always progresses.
 */
import { decodeCursor, encodeCursor } from "../../protocol/cursor.js";
import { DEFAULT_SEARCH_LIMIT, MAX_PAGE_BYTES } from "../../protocol/limits.js";
import type { Acquired, HoldersReq, TakeOverReq } from "../../protocol/requests.js";
import type { KernelContext } from "./context.js";
import { ok, type Outcome } from "./outcome.js";
import { acquiring } from "./tasks.js";

export async function taskHolders(ctx: KernelContext, req: HoldersReq): Promise<Outcome<"reprise.holders">> {
  const limit = req.data.limit ?? DEFAULT_SEARCH_LIMIT;
  const after = req.data.cursor === undefined ? undefined : decodeCursor(req.data.cursor);
  // One more than asked: whether another page follows, without another query.
  const holders = await ctx.tx.taskHolders(limit + 1, after);
  if (holders.length <= limit) return ok({ holders });
  const page = holders.slice(0, limit);
  return ok({ holders: page, cursor: encodeCursor(page.at(-1)!) });
}

export async function takeOver(ctx: KernelContext, req: TakeOverReq): Promise<Outcome<"reprise.take_over">> {
  const { holder, pid, ttl } = req.data;
  const limit = req.data.limit ?? DEFAULT_SEARCH_LIMIT;
  const after = req.data.cursor === undefined ? undefined : decodeCursor(req.data.cursor);
  const held = await ctx.tx.searchTasks({ state: "acquired", pid: holder, limit: limit + 1, ...(after === undefined ? {} : { after }) });
  const candidates = held.slice(0, limit);
  const ids = candidates.map((task) => task.id);
  // Every row the acquires read, read ahead in two statements (and locked in the order every
  // transition locks: promises, then tasks) instead of two reads per task.
  await ctx.tx.getPromises(ids);
  await ctx.tx.getTasks(ids);
  const taken: Acquired[] = [];
  // The answer holds every taken execution's history: bounded as a page of a search is.
  let bytes = 0;
  let last: string | undefined;
  for (const task of candidates) {
    if (bytes >= MAX_PAGE_BYTES) break;
    last = task.id;
    const acquired = await acquiring(ctx, { id: task.id, version: task.version, pid, ttl, holder });
    if (!("answer" in acquired)) continue;
    taken.push(acquired.answer);
    bytes += acquired.bytes;
  }
  // More follow past the page, or the byte bound stopped it short.
  const more = held.length > limit || last !== candidates.at(-1)?.id;
  return ok(more && last !== undefined ? { taken, cursor: encodeCursor(last) } : { taken });
}
