/**
 * The kernel's last line of defence: bounds and request-level rules, checked before any
 * transaction starts, so a refused request (400) changes nothing. Messages name the field, what
 * it must be and what it was.
 */
import {
  MAX_ADDRESS_LENGTH,
  MAX_BATCH,
  MAX_CRON_LENGTH,
  MAX_HEADER_KEY_LENGTH,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_SEARCH_LIMIT,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  MAX_TIME,
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
} from "../../protocol/limits.js";
import { PROMISE_STATES, TASK_STATES } from "../../protocol/records.js";
import type { RequestKind } from "../../protocol/requests.js";
import { TAG } from "../../protocol/tags.js";
import { parseRetention } from "./retention-policy.js";
import { expandPromiseId } from "./schedule-template.js";
import { decodeCursor } from "./search.js";

type Fields = Record<string, unknown>;
/** A message saying what is wrong, or undefined when nothing is. */
type Problem = string | undefined;

/** Why `req` must be refused with 400, or undefined when it may proceed; values are bounded by `limits`. */
export function validateRequest(req: unknown, limits: Limits = DEFAULT_LIMITS): Problem {
  if (!isFields(req)) return `request: expected an object, got ${show(req)}`;
  const kind = req.kind;
  if (typeof kind !== "string" || !Object.hasOwn(VALIDATORS, kind)) {
    return `kind: expected one of ${Object.keys(VALIDATORS).join(", ")}, got ${show(kind)}`;
  }
  if (!isFields(req.data)) return `data: expected an object, got ${show(req.data)}`;
  const previous = maxValueBytes;
  maxValueBytes = limits.maxValueBytes;
  try {
    return VALIDATORS[kind as RequestKind](req.data);
  } finally {
    maxValueBytes = previous;
  }
}

// The value limit of the request being validated. Validation is synchronous, so setting it around
// one call cannot leak into another; it spares threading `limits` through every field check.
let maxValueBytes = DEFAULT_LIMITS.maxValueBytes;

const VALIDATORS: Record<RequestKind, (data: Fields) => Problem> = {
  "promise.get": (d) => id("id", d.id),
  "promise.create": (d) => promiseCreate("", d),
  "promise.settle": (d) => promiseSettle("", d),
  "promise.register_callback": (d) =>
    id("awaited", d.awaited) ??
    id("awaiter", d.awaiter) ??
    (d.awaited === d.awaiter ? "Awaited and awaiter must be different" : undefined),
  "promise.register_listener": (d) => id("awaited", d.awaited) ?? address("address", d.address),
  "promise.search": (d) =>
    optional(d.id, () => pattern("id", d.id)) ??
    optional(d.state, () => oneOf("state", d.state, PROMISE_STATES)) ??
    tags("tags", d.tags) ??
    paging(d),
  "task.get": (d) => id("id", d.id),
  "task.create": (d) =>
    id("pid", d.pid) ??
    time("ttl", d.ttl) ??
    action("action", d.action, ["promise.create"]) ??
    (hasTarget((d.action as { data: Fields }).data.tags) ? undefined : "Action must have a resonate:target tag"),
  "task.acquire": (d) =>
    id("id", d.id) ?? version("version", d.version) ?? id("pid", d.pid) ?? time("ttl", d.ttl) ?? optional(d.holder, () => id("holder", d.holder)),
  "task.release": (d) => id("id", d.id) ?? version("version", d.version),
  "task.suspend": (d) => id("id", d.id) ?? version("version", d.version) ?? suspendActions(d.id as string, d.actions),
  "task.halt": (d) => id("id", d.id),
  "task.continue": (d) => id("id", d.id),
  "task.fulfill": (d) =>
    id("id", d.id) ??
    version("version", d.version) ??
    action("action", d.action, ["promise.settle"]) ??
    ((d.action as { data: Fields }).data.id === d.id ? undefined : "Promise ID must match task ID"),
  "task.fence": (d) => id("id", d.id) ?? version("version", d.version) ?? action("action", d.action, ["promise.create", "promise.settle"]),
  "task.heartbeat": (d) => id("pid", d.pid) ?? heartbeatTasks(d.tasks),
  "task.search": (d) => optional(d.state, () => oneOf("state", d.state, TASK_STATES)) ?? paging(d),
  "schedule.get": (d) => id("id", d.id),
  "schedule.create": (d) =>
    scheduleId("id", d.id) ??
    cron("cron", d.cron) ??
    promiseIdTemplate("promiseId", d.promiseId, d.id as string) ??
    time("promiseTimeout", d.promiseTimeout) ??
    value("promiseParam", d.promiseParam) ??
    tags("promiseTags", d.promiseTags) ??
    retentionTag("promiseTags", d.promiseTags) ??
    (hasTarget(d.promiseTags) ? undefined : "promiseTags must include a resonate:target tag"),
  "schedule.delete": (d) => id("id", d.id),
  "schedule.search": (d) => tags("tags", d.tags) ?? paging(d),
};

// ---------------------------------------------------------------------------------------------
// Request parts

function promiseCreate(prefix: string, d: Fields): Problem {
  return (
    id(`${prefix}id`, d.id) ??
    time(`${prefix}timeoutAt`, d.timeoutAt) ??
    tags(`${prefix}tags`, d.tags) ??
    retentionTag(`${prefix}tags`, d.tags) ??
    ofPromise(d, value(`${prefix}param`, d.param) ?? optional(d.result, () => createResult(`${prefix}result`, d.result))) ??
    idempotencyKey(`${prefix}idempotencyKey`, d.idempotencyKey)
  );
}

/** Says whose value is refused (its id, and its function when tagged), so a caller can find the step. */
function ofPromise(d: Fields, problem: Problem): Problem {
  if (problem === undefined) return undefined;
  const func = isFields(d.tags) && typeof d.tags[TAG.func] === "string" ? ` (function ${d.tags[TAG.func]})` : "";
  return `${problem}; promise ${show(d.id)}${func}`;
}

/** Reprise extension: a create that records its promise already settled. */
function createResult(field: string, v: unknown): Problem {
  if (!isFields(v)) return `${field}: expected an object { state, value }, got ${show(v)}`;
  return (
    oneOf(`${field}.state`, v.state, ["resolved", "rejected"] as const) ??
    value(`${field}.value`, v.value ?? {}) ??
    optional(v.startedAt, () => time(`${field}.startedAt`, v.startedAt))
  );
}

const SETTLE_STATES = ["resolved", "rejected", "rejected_canceled"] as const;

function promiseSettle(prefix: string, d: Fields): Problem {
  return (
    id(`${prefix}id`, d.id) ??
    oneOf(`${prefix}state`, d.state, SETTLE_STATES) ??
    ofPromise(d, value(`${prefix}value`, d.value)) ??
    idempotencyKey(`${prefix}idempotencyKey`, d.idempotencyKey)
  );
}

/** A nested request (task.create, task.fulfill, task.fence): one of `kinds`, with valid data. */
function action(field: string, v: unknown, kinds: readonly ("promise.create" | "promise.settle")[]): Problem {
  if (!isFields(v)) return `${field}: expected a request object, got ${show(v)}`;
  const kind = oneOf(`${field}.kind`, v.kind, kinds);
  if (kind) return kind;
  if (!isFields(v.data)) return `${field}.data: expected an object, got ${show(v.data)}`;
  return v.kind === "promise.create" ? promiseCreate(`${field}.data.`, v.data) : promiseSettle(`${field}.data.`, v.data);
}

function suspendActions(taskId: string, v: unknown): Problem {
  if (!Array.isArray(v)) return `actions: expected an array, got ${show(v)}`;
  if (v.length === 0) return "Actions list must not be empty";
  if (v.length > MAX_BATCH) return `actions: expected at most ${MAX_BATCH} actions, got ${v.length}`;
  for (const [i, a] of v.entries()) {
    const field = `actions[${i}]`;
    if (!isFields(a)) return `${field}: expected a request object, got ${show(a)}`;
    const problem = oneOf(`${field}.kind`, a.kind, ["promise.register_callback"]);
    if (problem) return problem;
    if (!isFields(a.data)) return `${field}.data: expected an object, got ${show(a.data)}`;
    const ids = id(`${field}.data.awaited`, a.data.awaited) ?? id(`${field}.data.awaiter`, a.data.awaiter);
    if (ids) return ids;
  }
  const callbacks = v as { data: { awaited: string; awaiter: string } }[];
  if (callbacks.some((a) => a.data.awaiter !== taskId)) return "Awaiter must be the suspending task";
  if (callbacks.some((a) => a.data.awaited === taskId)) return "Task cannot await its own promise";
  return undefined;
}

function heartbeatTasks(v: unknown): Problem {
  if (!Array.isArray(v)) return `tasks: expected an array, got ${show(v)}`;
  if (v.length > MAX_BATCH) return `tasks: expected at most ${MAX_BATCH} tasks, got ${v.length}`;
  for (const [i, t] of v.entries()) {
    if (!isFields(t)) return `tasks[${i}]: expected an object, got ${show(t)}`;
    const problem = id(`tasks[${i}].id`, t.id) ?? version(`tasks[${i}].version`, t.version);
    if (problem) return problem;
  }
  return undefined;
}

function paging(d: Fields): Problem {
  return (
    optional(d.limit, () =>
      Number.isInteger(d.limit) && (d.limit as number) >= 1 && (d.limit as number) <= MAX_SEARCH_LIMIT
        ? undefined
        : `limit: expected a whole number from 1 to ${MAX_SEARCH_LIMIT}, got ${show(d.limit)}`,
    ) ??
    optional(d.cursor, () =>
      typeof d.cursor === "string" && decodeCursor(d.cursor) !== undefined
        ? undefined
        : `cursor: expected a cursor returned by a previous search, got ${show(d.cursor)}`,
    )
  );
}

// ---------------------------------------------------------------------------------------------
// Fields

function id(field: string, v: unknown): Problem {
  if (isValidId(v)) return undefined;
  return `${field}: expected ${ID_RULE}, got ${show(v)}`;
}

function scheduleId(field: string, v: unknown): Problem {
  if (isValidScheduleId(v)) return undefined;
  return `${field}: expected ${SCHEDULE_ID_RULE}, got ${show(v)}`;
}

function pattern(field: string, v: unknown): Problem {
  if (isValidId(v)) return undefined;
  return `${field}: expected an id pattern of ${ID_RULE} (* matches any run), got ${show(v)}`;
}

function address(field: string, v: unknown): Problem {
  if (typeof v === "string" && v.length > 0 && v.length <= MAX_ADDRESS_LENGTH && isPrintable(v)) return undefined;
  return `${field}: expected an address of 1-${MAX_ADDRESS_LENGTH} printable characters, got ${show(v)}`;
}

function time(field: string, v: unknown): Problem {
  if (isValidTime(v)) return undefined;
  return `${field}: expected a whole number of milliseconds from 0 to ${MAX_TIME}, got ${show(v)}`;
}

function version(field: string, v: unknown): Problem {
  if (Number.isSafeInteger(v) && (v as number) >= 0) return undefined;
  return `${field}: expected a whole number from 0, got ${show(v)}`;
}

function idempotencyKey(field: string, v: unknown): Problem {
  return optional(v, () =>
    typeof v === "string" && v.length > 0 && v.length <= MAX_IDEMPOTENCY_KEY_LENGTH && isStorableText(v)
      ? undefined
      : `${field}: expected a string of 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters without NUL or lone surrogates, got ${show(v)}`,
  );
}

function cron(field: string, v: unknown): Problem {
  if (typeof v === "string" && v.trim().length > 0 && v.length <= MAX_CRON_LENGTH) return undefined;
  return `${field}: expected a cron expression of at most ${MAX_CRON_LENGTH} characters, got ${show(v)}`;
}

function promiseIdTemplate(field: string, v: unknown, scheduleId: string): Problem {
  // The longest timestamp a template can receive, so a valid template stays valid at every run.
  if (typeof v === "string" && isValidId(expandPromiseId(v, scheduleId, MAX_TIME))) return undefined;
  return `${field}: expected a template ({{.id}}, {{.timestamp}}) that expands to ${ID_RULE}, got ${show(v)}`;
}

function oneOf(field: string, v: unknown, allowed: readonly string[]): Problem {
  if (typeof v === "string" && allowed.includes(v)) return undefined;
  return `${field}: expected one of ${allowed.join(", ")}, got ${show(v)}`;
}

/** Headers and data of a param or value; absent means empty. */
function value(field: string, v: unknown): Problem {
  if (v === undefined) return undefined;
  if (!isFields(v)) return `${field}: expected an object with headers and data, got ${show(v)}`;
  if (v.data !== undefined && typeof v.data !== "string") return `${field}.data: expected a string, got ${show(v.data)}`;
  if (typeof v.data === "string" && !fitsInBytes(v.data, maxValueBytes)) {
    // Names both ways to raise it: this kernel runs embedded (new Reprise) and behind reprise serve.
    return `${field}.data: expected at most ${maxValueBytes} bytes (limits.maxValueBytes: new Reprise({ limits: { maxValueBytes } }) embedded, reprise serve --max-value-bytes on a server), got ${Buffer.byteLength(v.data, "utf8")}`;
  }
  return stringMap(`${field}.headers`, v.headers, MAX_HEADERS, MAX_HEADER_KEY_LENGTH, MAX_HEADER_VALUE_LENGTH);
}

function tags(field: string, v: unknown): Problem {
  return stringMap(field, v, MAX_TAGS, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH);
}

/** `reprise:retention` on a root: how long its finished execution is kept (kernel/retention.ts). */
function retentionTag(field: string, tagMap: unknown): Problem {
  if (!isFields(tagMap) || tagMap[TAG.retention] === undefined) return undefined;
  if (parseRetention(tagMap[TAG.retention]) !== undefined) return undefined;
  return `${field}.${TAG.retention}: expected a whole number of milliseconds (0 keeps the execution for ever), got ${show(tagMap[TAG.retention])}`;
}

function stringMap(field: string, v: unknown, maxEntries: number, maxKey: number, maxValue: number): Problem {
  if (v === undefined) return undefined;
  if (!isFields(v)) return `${field}: expected an object of strings, got ${show(v)}`;
  const entries = Object.entries(v);
  if (entries.length > maxEntries) return `${field}: expected at most ${maxEntries} entries, got ${entries.length}`;
  for (const [key, entry] of entries) {
    if (key.length === 0 || key.length > maxKey || !isStorableText(key)) {
      return `${field}: expected keys of 1-${maxKey} characters without NUL or lone surrogates, got ${show(key)}`;
    }
    if (typeof entry !== "string" || entry.length > maxValue || !isStorableText(entry)) {
      return `${field}.${key}: expected a string of at most ${maxValue} characters without NUL or lone surrogates, got ${show(entry)}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function hasTarget(tagMap: unknown): boolean {
  if (!isFields(tagMap)) return false;
  const target = tagMap[TAG.target];
  return typeof target === "string" && target.length > 0;
}

function optional(v: unknown, check: () => Problem): Problem {
  return v === undefined ? undefined : check();
}

function isFields(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A short, quoted rendering of a bad value for an error message. */
function show(v: unknown): string {
  if (typeof v === "string") return v.length <= 40 ? JSON.stringify(v) : `${JSON.stringify(v.slice(0, 40))}... (${v.length} characters)`;
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return String(v);
}
