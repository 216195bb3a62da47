/**
 * Validation of protocol requests at the edge: every field of every kind is checked before a
 * request reaches the store, and a refusal names the field and what it expected.
 */
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { PROMISE_STATES, TASK_STATES } from "./records.js";
import type { Request, RequestKind } from "./requests.js";
import { TAG } from "./tags.js";

export type ParseResult =
  | { ok: true; request: Request }
  | { ok: false; field: string; expected: string; message: string };

export const LIMITS = {
  idLength: 1024,
  /** Base64 characters in one Value's `data` (about 768 KiB of JSON). */
  valueDataLength: 1024 * 1024,
  tagCount: 128,
  tagKeyLength: 256,
  tagValueLength: 4096,
  searchLimit: 1000,
  cronLength: 256,
} as const;

/** Parses an untrusted request body into a typed protocol request. */
export function parseRequest(body: unknown): ParseResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return refuse("body", "a JSON object { kind, head, data }");
  }
  const kind = (body as { kind?: unknown }).kind;
  const schema = typeof kind === "string" && Object.hasOwn(REQUEST_SCHEMAS, kind) ? REQUEST_SCHEMAS[kind as RequestKind] : undefined;
  if (!schema) return refuse("kind", `one of ${Object.keys(REQUEST_SCHEMAS).join(", ")}`);

  const result = schema.safeParse(body);
  if (result.success) return { ok: true, request: result.data as Request };
  const issue = result.error.issues[0]!;
  return refuse(fieldName(issue.path), expectationOf(issue));
}

// ---------------------------------------------------------------------------------------------
// Field schemas. Each field carries one expectation text, used for every way it can be wrong.

const PRINTABLE = /^[^\p{Cc}]*$/u;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function text(expected: string, min: number, max: number) {
  return z
    .string({ error: expected })
    .min(min, { error: expected })
    .max(max, { error: expected })
    .regex(PRINTABLE, { error: expected });
}

const id = text(`a non-empty string of at most ${LIMITS.idLength} printable characters`, 1, LIMITS.idLength);
const optionalText = text(`a string of at most ${LIMITS.idLength} printable characters`, 0, LIMITS.idLength);

function count(expected = "a non-negative integer") {
  return z.number({ error: expected }).int({ error: expected }).nonnegative({ error: expected });
}

const tagsExpectation = `an object of at most ${LIMITS.tagCount} string tags (keys 1..${LIMITS.tagKeyLength} characters, values at most ${LIMITS.tagValueLength})`;
const tags = z
  .record(
    z.string().min(1, { error: tagsExpectation }).max(LIMITS.tagKeyLength, { error: tagsExpectation }),
    z.string({ error: tagsExpectation }).max(LIMITS.tagValueLength, { error: tagsExpectation }),
    { error: tagsExpectation },
  )
  .refine((value) => Object.keys(value).length <= LIMITS.tagCount, { error: tagsExpectation });

const headersExpectation = "an object of string headers";
const value = z.object(
  {
    headers: z.record(z.string(), z.string({ error: headersExpectation }), { error: headersExpectation }).optional(),
    data: z
      .string({ error: "a base64 string" })
      .max(LIMITS.valueDataLength, { error: `a base64 string of at most ${LIMITS.valueDataLength} characters` })
      .regex(BASE64, { error: "a base64 string" })
      .optional(),
  },
  { error: "a value object { headers?, data? }" },
);

const limit = z
  .number({ error: `an integer from 1 to ${LIMITS.searchLimit}` })
  .int({ error: `an integer from 1 to ${LIMITS.searchLimit}` })
  .min(1, { error: `an integer from 1 to ${LIMITS.searchLimit}` })
  .max(LIMITS.searchLimit, { error: `an integer from 1 to ${LIMITS.searchLimit}` });

const settleState = z.enum(["resolved", "rejected", "rejected_canceled"], {
  error: "one of resolved, rejected, rejected_canceled",
});
const promiseState = z.enum(PROMISE_STATES, { error: `one of ${PROMISE_STATES.join(", ")}` });
const taskState = z.enum(TASK_STATES, { error: `one of ${TASK_STATES.join(", ")}` });

const cron = z
  .string({ error: "a cron expression" })
  .min(1, { error: "a cron expression" })
  .max(LIMITS.cronLength, { error: "a cron expression" })
  .refine(isCron, { error: "a valid cron expression, e.g. */5 * * * *" });

// Unknown head keys (`resonate:debug_time`, ...) are kept; unknown data keys are dropped.
const head = z.looseObject(
  {
    corrId: text(`a string of at most ${LIMITS.idLength} printable characters`, 0, LIMITS.idLength),
    version: z.string({ error: "a protocol version string" }).max(64, { error: "a protocol version string" }),
    auth: z.string({ error: "a string" }).optional(),
  },
  { error: "an object { corrId, version, auth? }" },
);

function request<K extends RequestKind, S extends z.ZodRawShape>(kind: K, data: S) {
  return z.object({
    kind: z.literal(kind, { error: kind }),
    head,
    data: z.object(data, { error: "an object" }),
  });
}

const versioned = { id, version: count() };

const promiseCreate = request("promise.create", {
  id,
  timeoutAt: count("a non-negative integer (absolute time in ms)"),
  param: value,
  tags,
  idempotencyKey: id.optional(),
});
const promiseSettle = request("promise.settle", { id, state: settleState, value, idempotencyKey: id.optional() });
const promiseRegisterCallback = request("promise.register_callback", { awaited: id, awaiter: id }).superRefine(
  (req, ctx) => {
    if (req.data.awaited === req.data.awaiter) {
      ctx.addIssue({ code: "custom", path: ["data", "awaiter"], message: "a promise other than the awaited one" });
    }
  },
);

const REQUEST_SCHEMAS: Record<RequestKind, z.ZodType> = {
  "promise.get": request("promise.get", { id }),
  "promise.create": promiseCreate,
  "promise.settle": promiseSettle,
  "promise.register_callback": promiseRegisterCallback,
  "promise.register_listener": request("promise.register_listener", { awaited: id, address: id }),
  "promise.search": request("promise.search", {
    id: id.optional(),
    state: promiseState.optional(),
    tags: tags.optional(),
    limit: limit.optional(),
    cursor: optionalText.optional(),
  }),
  "task.get": request("task.get", { id }),
  "task.create": request("task.create", { pid: id, ttl: count("a non-negative integer (ms)"), action: promiseCreate }).superRefine(
    (req, ctx) => {
      if (!req.data.action.data.tags[TAG.target]) {
        ctx.addIssue({ code: "custom", path: ["data", "action", "data", "tags", TAG.target], message: "an address to execute the promise" });
      }
    },
  ),
  "task.acquire": request("task.acquire", { ...versioned, pid: id, ttl: count("a non-negative integer (ms)") }),
  "task.release": request("task.release", versioned),
  "task.suspend": request("task.suspend", { ...versioned, actions: z.array(promiseRegisterCallback, { error: "an array" }) }).superRefine(
    (req, ctx) => {
      if (req.data.actions.length === 0) {
        ctx.addIssue({ code: "custom", path: ["data", "actions"], message: "at least one promise.register_callback" });
      }
      req.data.actions.forEach((action, index) => {
        if (action.data.awaiter !== req.data.id) {
          ctx.addIssue({ code: "custom", path: ["data", "actions", index, "data", "awaiter"], message: "the suspending task's id" });
        }
        if (action.data.awaited === req.data.id) {
          ctx.addIssue({ code: "custom", path: ["data", "actions", index, "data", "awaited"], message: "a promise other than the task's own" });
        }
      });
    },
  ),
  "task.halt": request("task.halt", { id }),
  "task.continue": request("task.continue", { id }),
  "task.fulfill": request("task.fulfill", { ...versioned, action: promiseSettle }).superRefine((req, ctx) => {
    if (req.data.action.data.id !== req.data.id) {
      ctx.addIssue({ code: "custom", path: ["data", "action", "data", "id"], message: "the task's id" });
    }
  }),
  "task.fence": request("task.fence", {
    ...versioned,
    action: z.discriminatedUnion("kind", [promiseCreate, promiseSettle], { error: "a promise.create or promise.settle request" }),
  }),
  "task.heartbeat": request("task.heartbeat", {
    pid: id,
    tasks: z.array(z.object(versioned, { error: "an object { id, version }" }), { error: "an array of { id, version }" }),
  }),
  "task.search": request("task.search", { state: taskState.optional(), limit: limit.optional(), cursor: optionalText.optional() }),
  "schedule.get": request("schedule.get", { id }),
  "schedule.create": request("schedule.create", {
    id,
    cron,
    promiseId: id,
    promiseTimeout: count("a non-negative integer (ms)"),
    promiseParam: value,
    promiseTags: tags,
  }).superRefine((req, ctx) => {
    if (!req.data.promiseTags[TAG.target]) {
      ctx.addIssue({ code: "custom", path: ["data", "promiseTags", TAG.target], message: "an address to execute the scheduled promises" });
    }
  }),
  "schedule.delete": request("schedule.delete", { id }),
  "schedule.search": request("schedule.search", { tags: tags.optional(), limit: limit.optional(), cursor: optionalText.optional() }),
};

// ---------------------------------------------------------------------------------------------

function refuse(field: string, expected: string): ParseResult {
  return { ok: false, field, expected, message: `${field}: expected ${expected}` };
}

function isCron(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression);
    return true;
  } catch {
    return false;
  }
}

type Issue = z.core.$ZodIssue;

function expectationOf(issue: Issue): string {
  // A bad record key reports "Invalid key in record"; the key schema's own message is nested.
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

/** `["data", "actions", 0, "data", "tags", "resonate:target"]` → `data.actions[0].data.tags["resonate:target"]`. */
function fieldName(path: readonly PropertyKey[]): string {
  let name = "";
  for (const part of path) {
    if (typeof part === "number") name += `[${part}]`;
    else if (typeof part === "string" && /^[A-Za-z_$][\w$]*$/.test(part)) name += name ? `.${part}` : part;
    else name += `[${JSON.stringify(String(part))}]`;
  }
  return name || "body";
}
