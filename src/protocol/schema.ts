/**
 * Validation of protocol requests at the edge: every field of every kind is checked before a
 * request reaches the store, and a refusal names the field and what it expected. The bounds are
 * the ones in limits.ts, which the store kernel enforces too, so the edge and the kernel agree on
 * what is acceptable; the edge adds structure to the refusal (field, expectation).
 */
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import {
  MAX_ADDRESS_LENGTH,
  MAX_BATCH,
  MAX_CRON_LENGTH,
  MAX_HEADER_KEY_LENGTH,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
  MAX_ID_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_SEARCH_LIMIT,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  MAX_TIME,
  MAX_CONCURRENCY,
  MAX_DECLARED_FUNCTIONS,
  MAX_FUNC_NAME_LENGTH,
  MAX_PRIORITY,
  MAX_RATE_LIMIT,
  MAX_RATE_PERIOD_MS,
  DEFAULT_LIMITS,
  ID_RULE,
  SCHEDULE_ID_RULE,
  fitsInBytes,
  isPrintable,
  isValidId,
  isValidScheduleId,
  isValidTime,
  isStorableText,
  type Limits,
} from "./limits.js";
import { BATCH_KIND, MAX_BATCH_REQUESTS } from "./batch.js";
import { PROMISE_STATES, TASK_STATES } from "./records.js";
import type { Request, RequestHead, RequestKind } from "./requests.js";
import { TAG } from "./tags.js";

/** Why a request (or a batch envelope) was refused: the field and what it was expected to be. */
export interface Refusal {
  ok: false;
  field: string;
  expected: string;
  message: string;
}

export type ParseResult = { ok: true; request: Request } | Refusal;

/** Parses an untrusted request body into a typed protocol request; values are bounded by `limits`. */
export function parseRequest(body: unknown, limits: Limits = DEFAULT_LIMITS): ParseResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return refuse("body", "a JSON object { kind, head, data }");
  }
  const kind = (body as { kind?: unknown }).kind;
  const schema = typeof kind === "string" && Object.hasOwn(REQUEST_SCHEMAS, kind) ? REQUEST_SCHEMAS[kind as RequestKind] : undefined;
  if (!schema) return refuse("kind", `one of ${Object.keys(REQUEST_SCHEMAS).join(", ")}`);

  const result = schema.safeParse(body);
  if (result.success) {
    const oversized = findOversizedValue(result.data, limits.maxValueBytes);
    if (oversized) return refuse(oversized, valueExpectation(limits));
    return { ok: true, request: result.data as Request };
  }
  const issue = result.error.issues[0]!;
  return refuse(fieldName(issue.path), expectationOf(issue));
}

export type BatchParseResult = { ok: true; head: RequestHead; items: ParseResult[] } | Refusal;

/**
 * Parses a `reprise.batch` envelope. The envelope itself (kind, head, at most MAX_BATCH_REQUESTS
 * items) must be valid or the whole batch is refused; each item is then parsed on its own, so a
 * bad item is refused in its place (its field named relative to the item) and its neighbours go on.
 */
export function parseBatch(body: unknown, limits: Limits = DEFAULT_LIMITS): BatchParseResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return refuse("body", `a JSON object { kind: "${BATCH_KIND}", head, data: { requests } }`);
  }
  const result = batchEnvelope.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return refuse(fieldName(issue.path), expectationOf(issue));
  }
  const { head: envelopeHead, data } = result.data;
  const items = data.requests.map((item) => (isBatch(item) ? refuse("kind", NOT_NESTED) : parseRequest(item, limits)));
  return { ok: true, head: envelopeHead as RequestHead, items };
}

// ---------------------------------------------------------------------------------------------
// Field schemas. Each field carries one expectation text, used for every way it can be wrong.

const id = z.custom<string>(isValidId, { error: ID_RULE });
const scheduleId = z.custom<string>(isValidScheduleId, { error: SCHEDULE_ID_RULE });

function printable(expected: string, max: number) {
  return z
    .string({ error: expected })
    .min(1, { error: expected })
    .max(max, { error: expected })
    .refine(isPrintable, { error: expected });
}

// An id pattern may hold whatever an id may (spaces too); `*` matches any run.
const pattern = z.custom<string>(isValidId, { error: `an id pattern of ${ID_RULE} (* matches any run)` });
const address = printable(`an address of 1-${MAX_ADDRESS_LENGTH} printable characters, e.g. poll://any@group`, MAX_ADDRESS_LENGTH);
// A cursor is an id's UTF-8 bytes in base64url: up to 3 bytes per character, 4 characters per 3 bytes.
const cursor = printable("a cursor returned by a previous search", 4 * MAX_ID_LENGTH);
const KEY_EXPECTATION = `a string of 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters, without NUL or lone surrogates`;
const idempotencyKey = z
  .string({ error: KEY_EXPECTATION })
  .min(1, { error: KEY_EXPECTATION })
  .max(MAX_IDEMPOTENCY_KEY_LENGTH, { error: KEY_EXPECTATION })
  .refine(isStorableText, { error: KEY_EXPECTATION });

const time = (unit: string) => z.custom<number>(isValidTime, { error: `a whole number of milliseconds from 0 to ${MAX_TIME} (${unit})` });
const version = z.custom<number>((v) => Number.isSafeInteger(v) && (v as number) >= 0, { error: "a whole number from 0" });

function stringMap(what: string, maxEntries: number, maxKey: number, maxValue: number) {
  const expected = `an object of at most ${maxEntries} ${what} (keys of 1-${maxKey} characters, string values of at most ${maxValue}; no NUL or lone surrogates)`;
  return z
    .record(
      z.string().min(1, { error: expected }).max(maxKey, { error: expected }).refine(isStorableText, { error: expected }),
      z.string({ error: expected }).max(maxValue, { error: expected }).refine(isStorableText, { error: expected }),
      { error: expected },
    )
    .refine((map) => Object.keys(map).length <= maxEntries, { error: expected });
}

const tags = stringMap("tags", MAX_TAGS, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH);

/**
 * A param or value; absent means empty, as the kernel reads it. `data` is any string (the SDKs
 * send base64, an Encryptor may send base64url or anything else); its size is checked against the
 * configured limit after parsing (findOversizedValue), as the limit is not known here.
 */
const value = z.object(
  {
    headers: stringMap("headers", MAX_HEADERS, MAX_HEADER_KEY_LENGTH, MAX_HEADER_VALUE_LENGTH).optional(),
    data: z.string({ error: "a string" }).optional(),
  },
  { error: "an object { headers?, data? }" },
);

function valueExpectation(limits: Limits): string {
  return `a string of at most ${limits.maxValueBytes} bytes (the server's maxValueBytes limit: reprise serve --max-value-bytes)`;
}

const VALUE_KEYS: ReadonlySet<string> = new Set(["param", "value", "promiseParam"]);

/** The field of the first value whose data is over `max` bytes, walking the parsed request's data. */
function findOversizedValue(request: unknown, max: number): string | undefined {
  const walk = (node: unknown, path: string): string | undefined => {
    if (typeof node !== "object" || node === null) return undefined;
    for (const [key, child] of Object.entries(node)) {
      if (typeof child !== "object" || child === null || key === "tags" || key === "promiseTags" || key === "headers") continue;
      const field = Array.isArray(node) ? `${path}[${key}]` : `${path}.${key}`;
      const data = (child as { data?: unknown }).data;
      if (VALUE_KEYS.has(key) && typeof data === "string" && !fitsInBytes(data, max)) return `${field}.data`;
      const found = walk(child, field);
      if (found) return found;
    }
    return undefined;
  };
  return walk((request as { data?: unknown }).data, "data");
}

const LIMIT_EXPECTATION = `a whole number from 1 to ${MAX_SEARCH_LIMIT}`;
const limit = z
  .number({ error: LIMIT_EXPECTATION })
  .int({ error: LIMIT_EXPECTATION })
  .min(1, { error: LIMIT_EXPECTATION })
  .max(MAX_SEARCH_LIMIT, { error: LIMIT_EXPECTATION });

const settleState = z.enum(["resolved", "rejected", "rejected_canceled"], {
  error: "one of resolved, rejected, rejected_canceled",
});
const promiseState = z.enum(PROMISE_STATES, { error: `one of ${PROMISE_STATES.join(", ")}` });
const taskState = z.enum(TASK_STATES, { error: `one of ${TASK_STATES.join(", ")}` });

const CRON_EXPECTATION = `a cron expression of at most ${MAX_CRON_LENGTH} characters, e.g. "*/5 * * * *"`;
const cron = z
  .string({ error: CRON_EXPECTATION })
  .max(MAX_CRON_LENGTH, { error: CRON_EXPECTATION })
  .refine(isCron, { error: CRON_EXPECTATION });

// Unknown head keys (`resonate:debug_time`, ...) are kept; unknown data keys are dropped.
const head = z.looseObject(
  {
    corrId: z.string({ error: `a string of at most ${MAX_ID_LENGTH} characters` }).max(MAX_ID_LENGTH, { error: `a string of at most ${MAX_ID_LENGTH} characters` }),
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

const versioned = { id, version };
const batch = <T extends z.ZodType>(item: T, expected: string) =>
  z.array(item, { error: expected }).max(MAX_BATCH, { error: `${expected} of at most ${MAX_BATCH} entries` });

const createResult = z.object(
  { state: z.enum(["resolved", "rejected"], { error: "one of resolved, rejected" }), value, startedAt: time("an absolute time").optional() },
  { error: "an object { state: resolved | rejected, value }" },
);
const promiseCreate = request("promise.create", {
  id,
  timeoutAt: time("an absolute time"),
  param: value.optional(),
  tags: tags.optional(),
  idempotencyKey: idempotencyKey.optional(),
  result: createResult.optional(),
});
const promiseSettle = request("promise.settle", { id, state: settleState, value: value.optional(), idempotencyKey: idempotencyKey.optional() });
const promiseRegisterCallback = request("promise.register_callback", { awaited: id, awaiter: id }).superRefine(
  (req, ctx) => {
    if (req.data.awaited === req.data.awaiter) {
      ctx.addIssue({ code: "custom", path: ["data", "awaiter"], message: "a promise other than the awaited one" });
    }
  },
);

function wholeNumber(min: number, max: number) {
  const expected = `a whole number from ${min} to ${max}`;
  return z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

const functionLimits = z.object(
  {
    func: printable(`a function name of 1-${MAX_FUNC_NAME_LENGTH} printable characters`, MAX_FUNC_NAME_LENGTH),
    concurrency: wholeNumber(1, MAX_CONCURRENCY).optional(),
    rateLimit: z
      .object({ limit: wholeNumber(1, MAX_RATE_LIMIT), periodMs: wholeNumber(1, MAX_RATE_PERIOD_MS) }, { error: "an object { limit, periodMs }" })
      .optional(),
    priority: wholeNumber(-MAX_PRIORITY, MAX_PRIORITY).optional(),
  },
  { error: "an object { func, concurrency?, rateLimit?, priority? }" },
);

const REQUEST_SCHEMAS: Record<RequestKind, z.ZodType> = {
  "promise.get": request("promise.get", { id }),
  "promise.create": promiseCreate,
  "promise.settle": promiseSettle,
  "promise.register_callback": promiseRegisterCallback,
  "promise.register_listener": request("promise.register_listener", { awaited: id, address }),
  "promise.search": request("promise.search", {
    id: pattern.optional(),
    state: promiseState.optional(),
    tags: tags.optional(),
    limit: limit.optional(),
    cursor: cursor.optional(),
  }),
  "task.get": request("task.get", { id }),
  "task.create": request("task.create", { pid: id, ttl: time("a duration"), action: promiseCreate }).superRefine(
    (req, ctx) => {
      if (!req.data.action.data.tags?.[TAG.target]) {
        ctx.addIssue({ code: "custom", path: ["data", "action", "data", "tags", TAG.target], message: "an address to execute the promise" });
      }
    },
  ),
  "task.acquire": request("task.acquire", { ...versioned, pid: id, ttl: time("a duration"), holder: id.optional() }),
  "task.release": request("task.release", versioned),
  "task.suspend": request("task.suspend", { ...versioned, actions: batch(promiseRegisterCallback, "an array of promise.register_callback requests") }).superRefine(
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
    tasks: batch(z.object(versioned, { error: "an object { id, version }" }), "an array of { id, version }"),
  }),
  "task.search": request("task.search", { state: taskState.optional(), limit: limit.optional(), cursor: cursor.optional() }),
  "schedule.get": request("schedule.get", { id }),
  "schedule.create": request("schedule.create", {
    id: scheduleId,
    cron,
    promiseId: z.custom<string>(isValidId, { error: `a promise id template ({{.id}}, {{.timestamp}}) of ${ID_RULE}` }),
    promiseTimeout: time("a duration"),
    promiseParam: value.optional(),
    promiseTags: tags,
  }).superRefine((req, ctx) => {
    if (!req.data.promiseTags[TAG.target]) {
      ctx.addIssue({ code: "custom", path: ["data", "promiseTags", TAG.target], message: "an address to execute the scheduled promises" });
    }
  }),
  "schedule.delete": request("schedule.delete", { id }),
  "schedule.search": request("schedule.search", { tags: tags.optional(), limit: limit.optional(), cursor: cursor.optional() }),
  "reprise.declare_limits": request("reprise.declare_limits", {
    group: id,
    pid: id,
    functions: z
      .array(functionLimits, { error: `an array of at most ${MAX_DECLARED_FUNCTIONS} { func, concurrency?, rateLimit?, priority? }` })
      .max(MAX_DECLARED_FUNCTIONS, { error: `an array of at most ${MAX_DECLARED_FUNCTIONS} { func, concurrency?, rateLimit?, priority? }` }),
  }),
  "reprise.flow_stats": request("reprise.flow_stats", { limit: limit.optional() }),
};

const REQUESTS_EXPECTATION = `an array of at most ${MAX_BATCH_REQUESTS} protocol requests`;
const NOT_NESTED = `a protocol request other than ${BATCH_KIND} (batches do not nest)`;
const batchEnvelope = z.object({
  kind: z.literal(BATCH_KIND, { error: BATCH_KIND }),
  head,
  data: z.object(
    { requests: z.array(z.unknown(), { error: REQUESTS_EXPECTATION }).max(MAX_BATCH_REQUESTS, { error: REQUESTS_EXPECTATION }) },
    { error: "an object { requests }" },
  ),
});

function isBatch(item: unknown): boolean {
  return typeof item === "object" && item !== null && (item as { kind?: unknown }).kind === BATCH_KIND;
}

// ---------------------------------------------------------------------------------------------

function refuse(field: string, expected: string): Refusal {
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
