/**
 * The promises a worker gets along with a task, so that replaying the execution needs no round
 * trip for the steps already taken:
 *   - every promise under the task's id (`${id}.…`): the children, grandchildren… that Reprise's
 *     SDK names `${parentId}.${n}`;
 *   - the promises of the same `resonate:branch` under `${id}:…`: how @resonatehq/sdk names the
 *     children of a root (the reference server's branch preload); not looked for under a root of
 *     Reprise's own SDK (tagged `reprise:kind`), whose children are all under `${id}.`.
 * At most MAX_PRELOAD records and about MAX_PAGE_BYTES, ordered by id, as readers see them. A
 * preload cut short says so (`preloadTruncated`), so the worker knows to ask for what it lacks.
 */
import { MAX_PAGE_BYTES, MAX_PRELOAD } from "../../protocol/limits.js";
import type { PromiseRecord } from "../../protocol/records.js";
import { TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { projectPromise } from "./projection.js";
import { readBounded } from "./search.js";

export interface Preload {
  preload: PromiseRecord[];
  /** Present only when the preload misses promises of the execution (see requests.ts). */
  preloadTruncated?: true;
}

export async function preload(ctx: KernelContext, task: PromiseRecord): Promise<Preload> {
  return (await sizedPreload(ctx, task)).preload;
}

/** The preload and about how many bytes its records take (`approxRecordBytes`, summed). */
export async function sizedPreload(ctx: KernelContext, task: PromiseRecord): Promise<{ preload: Preload; bytes: number }> {
  const under = await readBounded(MAX_PRELOAD, undefined, MAX_PAGE_BYTES, (limit, after) => ctx.tx.promisesUnder(task.id, limit, after));
  const found = under.items;
  let more = under.more;
  let bytes = under.bytes;
  const branch = task.tags[TAG.branch];
  // Reprise's own executions name every child under `${id}.`: only another SDK's need the branch search.
  const ours = task.tags[TAG.kind] !== undefined;
  if (branch !== undefined && !ours && !more) {
    const sameBranch = await readBounded(MAX_PRELOAD - found.length, undefined, MAX_PAGE_BYTES - under.bytes, (limit, after) =>
      ctx.tx.searchPromises({ idPattern: `${task.id}:*`, tags: { [TAG.branch]: branch }, limit, after }),
    );
    found.push(...sameBranch.items);
    more = sameBranch.more;
    bytes += sameBranch.bytes;
  }
  const promises = found.map((p) => projectPromise(p, ctx.now));
  return { preload: more ? { preload: promises, preloadTruncated: true } : { preload: promises }, bytes };
}
