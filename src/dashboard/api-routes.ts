/**
 * The JSON routes only the dashboard needs; everything else it reads from the REST routes
 * (`/promises`, `/tasks`, `/schedules`, `/workers`). Behind the server's auth like every route.
 *
 *   GET /api/executions?state=&func=&idPrefix=&tag=key=value&limit=&cursor=   → ExecutionPage
 *   GET /api/executions/:id                                                   → ExecutionDetail
 *   GET /api/promises/:id/values                                              → PromiseValues
 *   POST /api/executions/:id/cancel   { reason? }                             → CancelAnswer
 *   GET /api/flow                                                             → FlowPage
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { MAX_SEARCH_LIMIT } from "../protocol/limits.js";
import { PROMISE_STATES, type PromiseState, type Tags } from "../protocol/records.js";
import { STATUS } from "../protocol/requests.js";
import type { Store } from "../store/store.js";
import { ConflictError, StoreError } from "../engine/errors.js";
import { PROTOCOL_VERSION, type RequestKind, type RequestOf } from "../protocol/requests.js";
import { cancelExecution } from "../engine/cancel-request.js";
import type { CancelAnswer, ExecutionDetail, ExecutionPage, FlowPage, PromiseValues, RefusedWriteView } from "./api-types.js";
import { assembleExecution } from "./execution-view.js";
import { getPromise, getTask, listFlows, loadExecutionRecords, StoreQueryError } from "../store/reads.js";
import { listExecutions, type ExecutionFilter } from "./store-queries.js";
import { summarizeExecution } from "./summary.js";
import { taskViewOf } from "../tree/pickups.js";
import { decodeData, DEFAULT_FOLD_LIMIT, showValue } from "./values.js";

export interface ApiRoutesOptions {
  store: Store;
  /** Characters of a value shown in a tree before it is folded (default 2000). */
  foldLimit?: number;
  /** The last refused write of an execution's task, if the server saw one. */
  refusedWriteOf?: (executionId: string) => RefusedWriteView | undefined;
}

export const DEFAULT_PAGE_SIZE = 50;
/** Longest cancellation reason the dashboard sends on. */
const MAX_REASON_LENGTH = 1000;

type Query = Record<string, string | string[] | undefined>;

export function registerApiRoutes(app: FastifyInstance, { store, foldLimit = DEFAULT_FOLD_LIMIT, refusedWriteOf }: ApiRoutesOptions): void {
  app.get<{ Querystring: Query }>("/api/executions", async (request, reply) => {
    const filter = parseFilter(request.query);
    if ("refused" in filter) return refuse(reply, filter.refused.field, filter.refused.expected);
    return guarded(reply, async (): Promise<ExecutionPage> => {
      const { roots, cursor } = await listExecutions(store, filter);
      const page: ExecutionPage = { executions: roots.map(summarizeExecution), now: Date.now() };
      if (cursor !== undefined) page.cursor = cursor;
      return page;
    });
  });

  app.get<{ Params: { id: string } }>("/api/executions/:id", async (request, reply) =>
    guarded(reply, async (): Promise<ExecutionDetail | FastifyReply> => {
      const loaded = await loadExecutionRecords(store, request.params.id);
      const execution = loaded && assembleExecution(request.params.id, loaded.records, { foldLimit });
      if (!loaded || !execution) return notFound(reply, `no execution with id ${JSON.stringify(request.params.id)}`);
      const detail: ExecutionDetail = { execution, truncated: loaded.truncated, now: Date.now() };
      const task = await getTask(store, request.params.id);
      if (task) detail.task = taskViewOf(task, execution);
      const refused = refusedWriteOf?.(request.params.id);
      if (refused) detail.refusedWrite = { kind: refused.kind, field: refused.field, message: refused.message, at: refused.at };
      const finished = await store.finishedRoot?.(request.params.id);
      if (finished) detail.purgeAt = finished.purgeAt ?? null;
      return detail;
    }),
  );

  // The dashboard's cancel button: the same protocol requests as reprise.cancel, applied to the store.
  app.post<{ Params: { id: string }; Body: unknown }>("/api/executions/:id/cancel", async (request, reply) => {
    const body = request.body ?? {};
    const reason = typeof body === "object" && body !== null ? (body as { reason?: unknown }).reason : undefined;
    if (typeof body !== "object" || body === null || (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_REASON_LENGTH))) {
      return refuse(reply, "reason", `a string of at most ${MAX_REASON_LENGTH} characters, or nothing`);
    }
    const send = <K extends RequestKind>(kind: K, data: RequestOf<K>["data"]) =>
      store.apply({ kind, head: { corrId: "dashboard-cancel", version: PROTOCOL_VERSION }, data } as RequestOf<K>);
    try {
      const answer: CancelAnswer = await cancelExecution(send, request.params.id, { reason: reason === "" ? undefined : reason });
      return answer;
    } catch (error) {
      if (error instanceof StoreError && error.status === STATUS.notFound) return notFound(reply, error.message);
      if (error instanceof ConflictError) return reply.code(STATUS.conflict).send({ error: { message: error.message } });
      throw error;
    }
  });

  app.get("/api/flow", async (_request, reply) => guarded(reply, async (): Promise<FlowPage> => ({ flows: await listFlows(store) })));

  app.get<{ Params: { id: string } }>("/api/promises/:id/values", async (request, reply) =>
    guarded(reply, async (): Promise<PromiseValues | FastifyReply> => {
      const promise = await getPromise(store, request.params.id);
      if (!promise) return notFound(reply, `no durable promise with id ${JSON.stringify(request.params.id)}`);
      const values: PromiseValues = { id: promise.id };
      const param = decodeData(promise.param.data);
      const value = decodeData(promise.value.data);
      if (param) values.param = showValue(param, Number.POSITIVE_INFINITY);
      if (value) values.value = showValue(value, Number.POSITIVE_INFINITY);
      return values;
    }),
  );
}

// ---------------------------------------------------------------------------------------------

interface Refusal {
  refused: { field: string; expected: string };
}

function parseFilter(query: Query): ExecutionFilter | Refusal {
  const filter: ExecutionFilter = { limit: DEFAULT_PAGE_SIZE };
  const state = last(query.state);
  if (state) {
    if (!(PROMISE_STATES as readonly string[]).includes(state)) return { refused: { field: "state", expected: `one of ${PROMISE_STATES.join(", ")}` } };
    filter.state = state as PromiseState;
  }
  const limit = last(query.limit);
  if (limit) {
    const size = Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > MAX_SEARCH_LIMIT) return { refused: { field: "limit", expected: `a whole number from 1 to ${MAX_SEARCH_LIMIT}` } };
    filter.limit = size;
  }
  const tags = tagsOf(query.tag);
  if (tags === undefined) return { refused: { field: "tag", expected: "key=value with a key other than __proto__" } };
  if (Object.keys(tags).length > 0) filter.tags = tags;
  const func = last(query.func);
  if (func) filter.func = func;
  const idPrefix = last(query.idPrefix);
  if (idPrefix) filter.idPrefix = idPrefix;
  const cursor = last(query.cursor);
  if (cursor) filter.cursor = cursor;
  return filter;
}

/**
 * `?tag=env=prod&tag=team=core` → `{ env: "prod", team: "core" }`; undefined if one is malformed
 * or its key is `__proto__` (assigning it would set the prototype and drop the filter).
 */
function tagsOf(value: string | string[] | undefined): Tags | undefined {
  const tags: Tags = {};
  for (const pair of value === undefined ? [] : [value].flat()) {
    if (pair === "") continue;
    const split = pair.indexOf("=");
    if (split <= 0 || pair.slice(0, split) === "__proto__") return undefined;
    tags[pair.slice(0, split)] = pair.slice(split + 1);
  }
  return tags;
}

function last(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.at(-1) : value;
}

async function guarded<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreQueryError) return reply.code(error.status).send({ error: { message: error.message } });
    throw error;
  }
}

function refuse(reply: FastifyReply, field: string, expected: string): FastifyReply {
  return reply.code(STATUS.badRequest).send({ error: { field, expected, message: `${field}: expected ${expected}` } });
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(STATUS.notFound).send({ error: { message } });
}
