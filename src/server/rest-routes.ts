/**
 * A small REST face over the same store, for people, scripts, the CLI and the dashboard. Every
 * route builds a protocol request and goes through the same validation as `POST /`, so the rules
 * and refusals are the protocol's own; only the envelope differs (`{ ...data }` or `{ error }`).
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { loadExecutionRecords } from "../store/reads.js";
import { encodeValue, SerializationError } from "../protocol/codec.js";
import type { Value } from "../protocol/records.js";
import type { Limits } from "../protocol/limits.js";
import type { SettleState } from "../protocol/records.js";
import { PROTOCOL_VERSION, STATUS, type RequestHead, type Response } from "../protocol/requests.js";
import { parseRequest } from "../protocol/validation.js";
import type { Store } from "../store/store.js";
import { buildExecutionTree } from "../tree/execution-tree.js";
import type { Ticker } from "../store/ticker.js";
import type { Workers } from "./workers.js";

export interface RestRoutesOptions {
  store: Store;
  workers: Workers;
  ticker: Ticker;
  limits: Limits;
}

const SETTLE_ACTIONS: ReadonlyMap<string, SettleState> = new Map([
  ["resolve", "resolved"],
  ["reject", "rejected"],
  ["cancel", "rejected_canceled"],
]);

type Query = Record<string, string | string[] | undefined>;

export function registerRestRoutes(app: FastifyInstance, { store, workers, ticker, limits }: RestRoutesOptions): void {
  const answer = async (reply: FastifyReply, candidate: { kind: string; data: unknown }) => {
    const parsed = parseRequest({ ...candidate, head: head() }, limits);
    if (!parsed.ok) {
      const field = parsed.field.replace(/^data\./, "");
      const message = `${field}: expected ${parsed.expected}`;
      return reply.code(STATUS.badRequest).send({ error: { field, expected: parsed.expected, message } });
    }
    const response: Response = await store.apply(parsed.request);
    if (response.head.status === STATUS.ok || response.head.status === STATUS.redirect) return response.data;
    return reply.code(response.head.status).send({ error: { message: response.data } });
  };

  app.get<{ Params: { id: string } }>("/promises/:id", (request, reply) =>
    answer(reply, { kind: "promise.get", data: { id: request.params.id } }),
  );

  app.get<{ Querystring: Query }>("/promises", (request, reply) => {
    const query = request.query;
    const tags = tagsOf(query);
    if (tags instanceof TagRefusal) return refuseTags(reply, tags);
    return answer(reply, {
      kind: "promise.search",
      data: { id: one(query.id), state: one(query.state), tags, limit: numberOf(query.limit), cursor: one(query.cursor) },
    });
  });

  app.post<{ Params: { id: string; action: string }; Body: { value?: unknown } | undefined }>(
    "/promises/:id/:action",
    async (request, reply) => {
      const state = SETTLE_ACTIONS.get(request.params.action);
      if (!state) return reply.code(STATUS.notFound).send({ error: { message: "expected /promises/:id/resolve, /reject or /cancel" } });
      const body: unknown = request.body ?? {};
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return reply.code(STATUS.badRequest).send({ error: { field: "body", expected: "a JSON object { value? }", message: "body: expected a JSON object { value? }" } });
      }
      let value: Value;
      try {
        value = encodeValue((body as { value?: unknown }).value, "value", limits.maxJsonDepth);
      } catch (error) {
        // e.g. nested deeper than a value may be: the client's mistake, not the server's.
        if (!(error instanceof SerializationError)) throw error;
        return reply.code(STATUS.badRequest).send({ error: { field: "value", expected: "a value JSON can store", message: error.message } });
      }
      const result = await answer(reply, { kind: "promise.settle", data: { id: request.params.id, state, value } });
      ticker.recheck();
      return result;
    },
  );

  app.get<{ Params: { id: string } }>("/promises/:id/tree", async (request, reply) => {
    const id = request.params.id;
    const execution = await loadExecutionRecords(store, id);
    if (!execution) return reply.code(STATUS.notFound).send({ error: { message: `promise ${id} not found` } });
    return { tree: buildExecutionTree(id, execution.records), truncated: execution.truncated };
  });

  app.get<{ Querystring: Query }>("/tasks", (request, reply) =>
    answer(reply, {
      kind: "task.search",
      data: { state: one(request.query.state), limit: numberOf(request.query.limit), cursor: one(request.query.cursor) },
    }),
  );

  app.get<{ Querystring: Query }>("/schedules", (request, reply) => {
    const tags = tagsOf(request.query);
    if (tags instanceof TagRefusal) return refuseTags(reply, tags);
    return answer(reply, {
      kind: "schedule.search",
      data: { tags, limit: numberOf(request.query.limit), cursor: one(request.query.cursor) },
    });
  });

  app.get("/workers", async () => ({ workers: workers.list() }));
}

function head(): RequestHead {
  return { corrId: randomUUID(), version: PROTOCOL_VERSION };
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.at(-1) : value;
}

/** `?limit=10` → 10; anything not a number is passed on as NaN so validation names the field. */
function numberOf(value: string | string[] | undefined): number | undefined {
  const text = one(value);
  return text === undefined || text === "" ? undefined : Number(text);
}

/** A tag key the query cannot carry; refused by name rather than dropped. */
class TagRefusal {
  constructor(readonly key: string) {}
}

/**
 * `?tags[env]=prod&tags[team]=core` → `{ env: "prod", team: "core" }`. Assigning
 * `tags["__proto__"]` would set the object's prototype instead, silently dropping the filter:
 * that key is refused by name, as the protocol's JSON body refuses it.
 */
function tagsOf(query: Query): Record<string, string> | TagRefusal | undefined {
  let tags: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(query)) {
    const match = /^tags\[(.+)\]$/.exec(key);
    const text = one(value);
    if (!match || text === undefined) continue;
    if (match[1] === "__proto__") return new TagRefusal(match[1]);
    (tags ??= {})[match[1]!] = text;
  }
  return tags;
}

function refuseTags(reply: FastifyReply, refusal: TagRefusal): FastifyReply {
  const field = `tags[${refusal.key}]`;
  const expected = "a tag key other than __proto__";
  return reply.code(STATUS.badRequest).send({ error: { field, expected, message: `${field}: expected ${expected}` } });
}
