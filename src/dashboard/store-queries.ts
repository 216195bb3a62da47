/**
 * The dashboard's list of executions, as protocol searches through `store.apply` (store/reads.ts),
 * so it sees exactly what the protocol sees (timeouts already applied) on every store.
 */
import { isExecutionRoot } from "../protocol/calls.js";
import { approxRecordBytes, MAX_PAGE_BYTES } from "../protocol/limits.js";
import type { PromiseRecord, PromiseState, Tags } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import { search } from "../store/reads.js";
import type { Store } from "../store/store.js";

export interface ExecutionFilter {
  state?: PromiseState;
  /** The registered function (`reprise:func`). */
  func?: string;
  idPrefix?: string;
  /** Tags the root must carry, every one exactly. */
  tags?: Tags;
  limit: number;
  cursor?: string;
}

/** Store pages read for one page of executions, at most (roots among many other promises). */
const MAX_PAGES_PER_LIST = 10;

/**
 * Root promises matching `filter`, in id order. Pages of the store are read until `limit` roots
 * are found (a page may hold a few more), the roots' records pass MAX_PAGE_BYTES (each store page
 * is bounded so, but ten of them are not) or MAX_PAGES_PER_LIST pages were read; the cursor
 * continues after the last page read.
 */
export async function listExecutions(store: Store, filter: ExecutionFilter): Promise<{ roots: PromiseRecord[]; cursor?: string }> {
  const tags: Tags = { ...filter.tags, [TAG.scope]: "global" };
  if (filter.func !== undefined) tags[TAG.func] = filter.func;
  const id = filter.idPrefix ? `${filter.idPrefix}*` : undefined;
  const roots: PromiseRecord[] = [];
  let bytes = 0;
  let cursor = filter.cursor;
  for (let pages = 0; pages < MAX_PAGES_PER_LIST; pages++) {
    const page = await search(store, { id, state: filter.state, tags, limit: filter.limit, cursor });
    for (const root of page.promises.filter(isExecutionRoot)) {
      roots.push(root);
      bytes += approxRecordBytes(root);
    }
    cursor = page.cursor;
    if (cursor === undefined || roots.length >= filter.limit || bytes >= MAX_PAGE_BYTES) break;
  }
  return cursor === undefined ? { roots } : { roots, cursor };
}
