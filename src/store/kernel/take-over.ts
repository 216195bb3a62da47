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
import { encodeCursor } from "../../protocol/cursor.js";
import { MAX_PAGE_BYTES } from "../../protocol/limits.js";
import type { Acquired, HoldersReq, TakeOverReq } from "../../protocol/requests.js";
import type { KernelContext } from "./context.js";
import { ok, type Outcome } from "./outcome.js";
import { fetchPage, FIRST_READ } from "./search.js";
import { acquiring } from "./tasks.js";

export async function taskHolders(ctx: KernelContext, req: HoldersReq): Promise<Outcome<"reprise.holders">> {
  // Paged as any search, a holder's pid standing for the id.
  const page = await fetchPage(req.data.limit, req.data.cursor, async (limit, after) => (await ctx.tx.taskHolders(limit, after)).map((id) => ({ id })));
  const holders = page.items.map(({ id }) => id);
  return ok(page.cursor === undefined ? { holders } : { holders, cursor: page.cursor });
}

export async function takeOver(ctx: KernelContext, req: TakeOverReq): Promise<Outcome<"reprise.take_over">> {
  const { holder, pid, ttl } = req.data;
  const page = await fetchPage(req.data.limit, req.data.cursor, (limit, after) => ctx.tx.searchTasks({ state: "acquired", pid: holder, limit, after }));
  const ids = page.items.map((task) => task.id);
  // Every row the acquires read, read ahead in two statements (and locked in the order every
  // transition locks: promises, then tasks) instead of two reads per task; and the first read of
  // each preload (readBounded's), which the row cache answers (see RowCache.promisesUnder).
  await ctx.tx.getPromises(ids);
  await ctx.tx.getTasks(ids);
  await ctx.tx.promisesUnderEach(ids, FIRST_READ);
  const taken: Acquired[] = [];
  // The answer holds every taken execution's history: bounded as a page of a search is.
  let bytes = 0;
  for (const [n, task] of page.items.entries()) {
    // Cut short: the next request goes on after the last task looked at.
    if (bytes >= MAX_PAGE_BYTES) return ok({ taken, cursor: encodeCursor(page.items[n - 1]!.id) });
    const acquired = await acquiring(ctx, { id: task.id, version: task.version, pid, ttl, holder });
    if (!("answer" in acquired)) continue;
    taken.push(acquired.answer);
    bytes += acquired.bytes;
  }
  return ok(page.cursor === undefined ? { taken } : { taken, cursor: page.cursor });
}
