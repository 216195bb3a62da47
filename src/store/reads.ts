/**
 * Reads of whole executions over any Store, as protocol requests through `store.apply`, so they
 * see exactly what the protocol sees (timeouts already applied) on every store. The REST face
 * (`reprise tree`) and the dashboard both read executions through here.
 */
import { randomUUID } from "node:crypto";
import { MAX_SEARCH_LIMIT } from "../protocol/limits.js";
import type { FlowStat, PromiseRecord, PromiseState, Tags, TaskRecord } from "../protocol/records.js";
import { PROTOCOL_VERSION, STATUS, type RequestHead } from "../protocol/requests.js";
import { TAG } from "../protocol/tags.js";
import type { Store } from "./store.js";

/** Most promises a reader loads for one execution; more comes back `truncated`. */
export const MAX_EXECUTION_SIZE = 10_000;

const SEARCH_PAGE = 1000;

export class StoreQueryError extends Error {
  override name = "StoreQueryError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Every promise of execution `id`: the root, the promises whose ids extend it (`id.n`, `id:n`),
 * and those that name it as origin (children created with ids of their own). Undefined when
 * there is no promise `id`.
 */
export async function loadExecutionRecords(store: Store, id: string): Promise<{ records: PromiseRecord[]; truncated: boolean } | undefined> {
  const root = await getPromise(store, id);
  if (!root) return undefined;
  const byId = new Map<string, PromiseRecord>([[id, root]]);
  let truncated = false;
  const queries = [{ id: `${id}.*` }, { id: `${id}:*` }, { tags: { [TAG.origin]: id } }];
  for (const query of queries) {
    let cursor: string | undefined;
    do {
      if (byId.size >= MAX_EXECUTION_SIZE) {
        truncated = true;
        break;
      }
      const page = await search(store, { ...query, limit: SEARCH_PAGE, cursor });
      for (const promise of page.promises) byId.set(promise.id, promise);
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return { records: [...byId.values()], truncated };
}

export async function getPromise(store: Store, id: string): Promise<PromiseRecord | undefined> {
  const response = await store.apply({ kind: "promise.get", head: head(), data: { id } });
  if (response.head.status === STATUS.notFound) return undefined;
  if (typeof response.data === "string") throw new StoreQueryError(response.head.status, response.data);
  return response.data.promise;
}

/** The task of execution `id`, or undefined when it has none (a promise that is not an execution). */
export async function getTask(store: Store, id: string): Promise<TaskRecord | undefined> {
  const response = await store.apply({ kind: "task.get", head: head(), data: { id } });
  if (response.head.status === STATUS.notFound) return undefined;
  if (typeof response.data === "string") throw new StoreQueryError(response.head.status, response.data);
  return response.data.task;
}

/** Flow control per function: limits, running and queued (at most MAX_SEARCH_LIMIT functions). */
export async function listFlows(store: Store): Promise<FlowStat[]> {
  const response = await store.apply({ kind: "reprise.flow_stats", head: head(), data: { limit: MAX_SEARCH_LIMIT } });
  if (typeof response.data === "string") throw new StoreQueryError(response.head.status, response.data);
  return response.data.flows;
}

// ---------------------------------------------------------------------------------------------

export interface SearchData {
  id?: string;
  state?: PromiseState;
  tags?: Tags;
  limit: number;
  cursor?: string;
}

export async function search(store: Store, data: SearchData): Promise<{ promises: PromiseRecord[]; cursor?: string }> {
  const clean: SearchData = { limit: data.limit };
  if (data.id !== undefined) clean.id = data.id;
  if (data.state !== undefined) clean.state = data.state;
  if (data.tags !== undefined) clean.tags = data.tags;
  if (data.cursor !== undefined) clean.cursor = data.cursor;
  const response = await store.apply({ kind: "promise.search", head: head(), data: clean });
  if (typeof response.data === "string") throw new StoreQueryError(response.head.status, response.data);
  return response.data;
}

function head(): RequestHead {
  return { corrId: randomUUID(), version: PROTOCOL_VERSION };
}
