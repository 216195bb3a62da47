/**
 * The promises a worker gets along with a task, so that replaying the execution needs no round
 * trip for the steps already taken:
 *   - every promise under the task's id (`${id}.…`): the children, grandchildren… that Reprise's
 *     SDK names `${parentId}.${n}`;
 *   - the promises of the same `resonate:branch` under `${id}:…`: how @resonatehq/sdk names the
 *     children of a root (the reference server's branch preload); not looked for under a root of
 *     Reprise's own SDK (tagged `reprise:kind`), whose children are all under `${id}.`.
 * At most MAX_PRELOAD records, ordered by id, as readers see them.
 */
import { MAX_PRELOAD } from "../../protocol/limits.js";
import type { PromiseRecord } from "../../protocol/records.js";
import { TAG } from "../../protocol/tags.js";
import type { KernelContext } from "./context.js";
import { projectPromise } from "./projection.js";

export async function preload(ctx: KernelContext, task: PromiseRecord): Promise<PromiseRecord[]> {
  const found = await ctx.tx.promisesUnder(task.id, MAX_PRELOAD);
  const branch = task.tags[TAG.branch];
  // Reprise's own executions name every child under `${id}.`: only another SDK's need the branch search.
  const ours = task.tags[TAG.kind] !== undefined;
  if (branch !== undefined && !ours && found.length < MAX_PRELOAD) {
    const sameBranch = await ctx.tx.searchPromises({
      idPattern: `${task.id}:*`,
      tags: { [TAG.branch]: branch },
      limit: MAX_PRELOAD - found.length,
    });
    found.push(...sameBranch);
  }
  return found.map((p) => projectPromise(p, ctx.now));
}
