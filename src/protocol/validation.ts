/**
 * The one validator of protocol requests. Every public entry point goes through it: the HTTP
 * routes (`POST /`, batches, the REST face) parse with it at the edge, and the store checks with
 * it whatever reaches `store.apply` unchecked (an embedded Reprise, a direct Store user). A request
 * the edge already accepted is not checked again (see `validatedWithin`). Every bound comes from
 * limits.ts. A refusal names the field (its path in the request), what it expected and what it
 * got; where the reference server has a message of its own for a rule, the message is that one,
 * so both answer alike.
 *
 * Hand-written rather than a schema library: it is about ten times faster per request (see
 * scripts/measure-validation.ts) and reads as the list of rules it is.
 */
import { BATCH_KIND, MAX_BATCH_REQUESTS } from "./batch.js";
import { utf8Length } from "./bytes.js";
import { cronExpressionParser } from "./cron-parser.js";
import { decodeCursor } from "./cursor.js";
import {
  DEFAULT_LIMITS,
  ID_RULE,
  MAX_ADDRESS_LENGTH,
  MAX_BATCH,
  MAX_CONCURRENCY,
  MAX_DECLARED_FUNCTIONS,
  MAX_FLOW_KEY_LENGTH,
  MAX_FUNC_NAME_LENGTH,
  MAX_PRIORITY,
  MAX_RATE_LIMIT,
  MAX_RATE_PERIOD_MS,
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
  SCHEDULE_ID_RULE,
  fitsInBytes,
  isPrintable,
  isStorableText,
  isValidId,
  isValidScheduleId,
  isValidTime,
  type Limits,
} from "./limits.js";
import { PROMISE_STATES, TASK_STATES } from "./records.js";
import type { Request, RequestHead, RequestKind } from "./requests.js";
import { parseRetention } from "./retention.js";
import { expandPromiseId } from "./schedule-template.js";
import { TAG } from "./tags.js";

/** Why a request (or a batch envelope) was refused: the field and what it was expected to be. */
export interface Refusal {
  ok: false;
  field: string;
  expected: string;
  message: string;
}

export type ParseResult = { ok: true; request: Request } | Refusal;
export type BatchParseResult = { ok: true; head: RequestHead; items: ParseResult[] } | Refusal;

/** Why `req` must be refused with 400, or undefined when it may proceed; values are bounded by `limits`. */
export function validateRequest(req: unknown, limits: Limits = DEFAULT_LIMITS): Refusal | undefined {
  if (!isFields(req)) return refuse("body", "a JSON object { kind, head, data }", req);
  const kind = req.kind;
  if (typeof kind !== "string" || !Object.hasOwn(VALIDATORS, kind)) return refuse("kind", `one of ${KINDS}`, kind);
  const refusal = head(req.head);
  if (refusal) return refusal;
  if (!isFields(req.data)) return refuse("data", "an object", req.data);
  return VALIDATORS[kind as RequestKind](req.data, limits);
}

/** Validates an untrusted request body at the edge; an accepted request is not validated again by the store. */
export function parseRequest(body: unknown, limits: Limits = DEFAULT_LIMITS): ParseResult {
  const refusal = validateRequest(body, limits);
  if (refusal) return refusal;
  markValidated(body as object, limits.maxValueBytes);
  return { ok: true, request: body as Request };
}

/**
 * Parses a `reprise.batch` envelope. The envelope itself (kind, head, at most MAX_BATCH_REQUESTS
 * items) must be valid or the whole batch is refused; each item is then parsed on its own, so a
 * bad item is refused in its place (its field named relative to the item) and its neighbours go on.
 */
export function parseBatch(body: unknown, limits: Limits = DEFAULT_LIMITS): BatchParseResult {
  if (!isFields(body)) return refuse("body", `a JSON object { kind: "${BATCH_KIND}", head, data: { requests } }`, body);
  if (body.kind !== BATCH_KIND) return refuse("kind", BATCH_KIND, body.kind);
  const refusal = head(body.head);
  if (refusal) return refusal;
  if (!isFields(body.data)) return refuse("data", "an object { requests }", body.data);
  const requests = body.data.requests;
  if (!Array.isArray(requests) || requests.length > MAX_BATCH_REQUESTS) {
    return refuse("data.requests", `an array of at most ${MAX_BATCH_REQUESTS} protocol requests`, requests);
  }
  const items = requests.map((item: unknown) =>
    isFields(item) && item.kind === BATCH_KIND ? refuse("kind", `a protocol request other than ${BATCH_KIND} (batches do not nest)`, item.kind) : parseRequest(item, limits),
  );
  return { ok: true, head: body.head as RequestHead, items };
}

/**
 * Whether `req` was accepted by parseRequest under limits no looser than `limits`, or built by the
 * SDK from parts it checked (`markValidated`), so the store need not check it again. A store
 * handed a request nobody marked validates it.
 */
export function validatedWithin(req: object, limits: Limits): boolean {
  const maxValueBytes = (req as Marked)[VALIDATED];
  return maxValueBytes !== undefined && maxValueBytes <= limits.maxValueBytes;
}

/**
 * Marks a request that the SDK built from parts it checked against these rules, values held to
 * `maxValueBytes` (sdk/checked-writes.ts): the store then does not validate it again.
 */
export function markValidated(req: object, maxValueBytes: number): void {
  Object.defineProperty(req, VALIDATED, { value: maxValueBytes, writable: true });
}

// The value limit a request was accepted under, kept on the request itself under a symbol of this
// module: no JSON body can carry it (JSON.parse makes no symbol keys, JSON.stringify writes
// none). Not enumerable, so a copy (`{ ...req, data }`) is not marked: what it holds was never
// checked. Defining it costs about 0.2 µs a request where a WeakMap's entry cost 0.45.
const VALIDATED = Symbol("reprise.validated");
interface Marked {
  [VALIDATED]?: number;
}

// ---------------------------------------------------------------------------------------------
// Requests

type Fields = Record<string, unknown>;
type Check = Refusal | undefined;

const VALIDATORS: Record<RequestKind, (d: Fields, limits: Limits) => Check> = {
  "promise.get": (d) => id("data.id", d.id),
  "promise.create": (d, limits) => promiseCreate("data", d, limits),
  "promise.settle": (d, limits) => promiseSettle("data", d, limits),
  "promise.register_callback": (d) => registerCallback("data", d),
  "promise.register_listener": (d) => id("data.awaited", d.awaited) ?? address("data.address", d.address),
  "promise.search": (d) =>
    optional(d.id, () => pattern("data.id", d.id)) ??
    optional(d.state, () => oneOf("data.state", d.state, PROMISE_STATES)) ??
    tags("data.tags", d.tags) ??
    paging(d),
  "task.get": (d) => id("data.id", d.id),
  "task.create": (d, limits) =>
    id("data.pid", d.pid) ??
    time("data.ttl", d.ttl, "a duration") ??
    action("data.action", d.action, ["promise.create"], limits) ??
    (hasTarget((d.action as { data: Fields }).data.tags)
      ? undefined
      : rule(`data.action.data.tags${key(TAG.target)}`, "an address to execute the promise", "Action must have a resonate:target tag")),
  "task.acquire": (d) =>
    id("data.id", d.id) ??
    version("data.version", d.version) ??
    id("data.pid", d.pid) ??
    time("data.ttl", d.ttl, "a duration") ??
    optional(d.holder, () => id("data.holder", d.holder)),
  "task.release": (d) => id("data.id", d.id) ?? version("data.version", d.version),
  "task.suspend": (d) => id("data.id", d.id) ?? version("data.version", d.version) ?? suspendActions(d.id as string, d.actions),
  "task.halt": (d) => id("data.id", d.id),
  "task.continue": (d) => id("data.id", d.id),
  "task.fulfill": (d, limits) =>
    id("data.id", d.id) ??
    version("data.version", d.version) ??
    action("data.action", d.action, ["promise.settle"], limits) ??
    ((d.action as { data: Fields }).data.id === d.id ? undefined : rule("data.action.data.id", "the task's id", "Promise ID must match task ID")),
  "task.fence": (d, limits) =>
    id("data.id", d.id) ?? version("data.version", d.version) ?? action("data.action", d.action, ["promise.create", "promise.settle"], limits),
  "task.heartbeat": (d) => id("data.pid", d.pid) ?? heartbeatTasks(d.tasks),
  "task.search": (d) => optional(d.state, () => oneOf("data.state", d.state, TASK_STATES)) ?? paging(d),
  "schedule.get": (d) => id("data.id", d.id),
  "schedule.create": (d, limits) =>
    scheduleId("data.id", d.id) ??
    cron("data.cron", d.cron) ??
    promiseIdTemplate("data.promiseId", d.promiseId, d.id as string) ??
    time("data.promiseTimeout", d.promiseTimeout, "a duration") ??
    value("data.promiseParam", d.promiseParam, limits) ??
    tags("data.promiseTags", d.promiseTags) ??
    retentionTag("data.promiseTags", d.promiseTags) ??
    (hasTarget(d.promiseTags)
      ? undefined
      : rule(`data.promiseTags${key(TAG.target)}`, "an address to execute the scheduled promises", "promiseTags must include a resonate:target tag")),
  "schedule.delete": (d) => id("data.id", d.id),
  "schedule.search": (d) => tags("data.tags", d.tags) ?? paging(d),
  "reprise.declare_limits": (d) => id("data.group", d.group) ?? id("data.pid", d.pid) ?? declaredFunctions(d.functions),
  "reprise.flow_stats": (d) => paging(d),
  "reprise.holders": (d) => paging(d),
  "reprise.take_over": (d) => id("data.holder", d.holder) ?? id("data.pid", d.pid) ?? time("data.ttl", d.ttl, "a duration") ?? paging(d),
};

const KINDS = Object.keys(VALIDATORS).join(", ");

function promiseCreate(at: string, d: Fields, limits: Limits): Check {
  return (
    id(`${at}.id`, d.id) ??
    time(`${at}.timeoutAt`, d.timeoutAt, "an absolute time") ??
    tags(`${at}.tags`, d.tags) ??
    flowTags(`${at}.tags`, d.tags) ??
    retentionTag(`${at}.tags`, d.tags) ??
    ofPromise(d, value(`${at}.param`, d.param, limits) ?? optional(d.result, () => createResult(`${at}.result`, d.result, limits))) ??
    idempotencyKey(`${at}.idempotencyKey`, d.idempotencyKey)
  );
}

/** Reprise extension: a create that records its promise already settled. */
function createResult(at: string, v: unknown, limits: Limits): Check {
  if (!isFields(v)) return refuse(at, "an object { state: resolved | rejected, value }", v);
  return (
    oneOf(`${at}.state`, v.state, ["resolved", "rejected"]) ??
    value(`${at}.value`, v.value, limits) ??
    optional(v.startedAt, () => time(`${at}.startedAt`, v.startedAt, "an absolute time"))
  );
}

function promiseSettle(at: string, d: Fields, limits: Limits): Check {
  return (
    id(`${at}.id`, d.id) ??
    oneOf(`${at}.state`, d.state, ["resolved", "rejected", "rejected_canceled"]) ??
    ofPromise(d, value(`${at}.value`, d.value, limits)) ??
    idempotencyKey(`${at}.idempotencyKey`, d.idempotencyKey)
  );
}

function registerCallback(at: string, d: Fields): Check {
  return (
    id(`${at}.awaited`, d.awaited) ??
    id(`${at}.awaiter`, d.awaiter) ??
    (d.awaited === d.awaiter ? rule(`${at}.awaiter`, "a promise other than the awaited one", "Awaited and awaiter must be different") : undefined)
  );
}

/** A nested request (task.create, task.fulfill, task.fence): one of `kinds`, with valid data. */
function action(at: string, v: unknown, kinds: readonly ("promise.create" | "promise.settle")[], limits: Limits): Check {
  if (!isFields(v)) return refuse(at, `a ${kinds.join(" or ")} request`, v);
  const kind = oneOf(`${at}.kind`, v.kind, kinds);
  if (kind) return kind;
  if (!isFields(v.data)) return refuse(`${at}.data`, "an object", v.data);
  return v.kind === "promise.create" ? promiseCreate(`${at}.data`, v.data, limits) : promiseSettle(`${at}.data`, v.data, limits);
}

function suspendActions(taskId: string, v: unknown): Check {
  const expected = `an array of 1-${MAX_BATCH} promise.register_callback requests`;
  if (!Array.isArray(v) || v.length > MAX_BATCH) return refuse("data.actions", expected, v);
  if (v.length === 0) return rule("data.actions", expected, "Actions list must not be empty");
  for (let i = 0; i < v.length; i++) {
    const a: unknown = v[i];
    // The common case checked without building field names; they are built only for a refusal.
    if (isFields(a) && a.kind === "promise.register_callback" && isFields(a.data) && isValidId(a.data.awaited) && isValidId(a.data.awaiter)) continue;
    const at = `data.actions[${i}]`;
    if (!isFields(a)) return refuse(at, "a promise.register_callback request", a);
    const problem = oneOf(`${at}.kind`, a.kind, ["promise.register_callback"]) ?? (isFields(a.data) ? undefined : refuse(`${at}.data`, "an object", a.data));
    if (problem) return problem;
    const data = a.data as Fields;
    const ids = id(`${at}.data.awaited`, data.awaited) ?? id(`${at}.data.awaiter`, data.awaiter);
    if (ids) return ids;
  }
  // Each rule over the whole list first, as the reference checks them, so both name the same one.
  const callbacks = v as { data: { awaited: string; awaiter: string } }[];
  const foreign = callbacks.findIndex((a) => a.data.awaiter !== taskId);
  if (foreign >= 0) return rule(`data.actions[${foreign}].data.awaiter`, "the suspending task's id", "Awaiter must be the suspending task");
  const own = callbacks.findIndex((a) => a.data.awaited === taskId);
  if (own >= 0) return rule(`data.actions[${own}].data.awaited`, "a promise other than the task's own", "Task cannot await its own promise");
  return undefined;
}

function heartbeatTasks(v: unknown): Check {
  if (!Array.isArray(v) || v.length > MAX_BATCH) return refuse("data.tasks", `an array of at most ${MAX_BATCH} { id, version }`, v);
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    if (isFields(t) && isValidId(t.id) && Number.isSafeInteger(t.version) && (t.version as number) >= 0) continue;
    if (!isFields(t)) return refuse(`data.tasks[${i}]`, "an object { id, version }", t);
    const problem = id(`data.tasks[${i}].id`, t.id) ?? version(`data.tasks[${i}].version`, t.version);
    if (problem) return problem;
  }
  return undefined;
}

/** Flow control: the functions of a `reprise.declare_limits`, each named once, with bounded limits. */
function declaredFunctions(v: unknown): Check {
  const expected = `an array of at most ${MAX_DECLARED_FUNCTIONS} { func, concurrency?, rateLimit?, priority? }`;
  if (!Array.isArray(v) || v.length > MAX_DECLARED_FUNCTIONS) return refuse("data.functions", expected, v);
  const seen = new Set<string>();
  for (const [i, f] of v.entries()) {
    const at = `data.functions[${i}]`;
    if (!isFields(f)) return refuse(at, "an object { func, concurrency?, rateLimit?, priority? }", f);
    if (typeof f.func !== "string" || f.func.length === 0 || f.func.length > MAX_FUNC_NAME_LENGTH || !isPrintable(f.func)) {
      return refuse(`${at}.func`, `a function name of 1-${MAX_FUNC_NAME_LENGTH} printable characters`, f.func);
    }
    if (seen.has(f.func)) return rule(`${at}.func`, "each function once", `${at}.func: expected each function once, got ${show(f.func)} twice`);
    seen.add(f.func);
    const problem =
      optional(f.concurrency, () => wholeNumber(`${at}.concurrency`, f.concurrency, 1, MAX_CONCURRENCY)) ??
      optional(f.priority, () => wholeNumber(`${at}.priority`, f.priority, -MAX_PRIORITY, MAX_PRIORITY)) ??
      optional(f.rateLimit, () =>
        isFields(f.rateLimit)
          ? (wholeNumber(`${at}.rateLimit.limit`, f.rateLimit.limit, 1, MAX_RATE_LIMIT) ??
            wholeNumber(`${at}.rateLimit.periodMs`, f.rateLimit.periodMs, 1, MAX_RATE_PERIOD_MS))
          : refuse(`${at}.rateLimit`, "an object { limit, periodMs }", f.rateLimit),
      );
    if (problem) return problem;
  }
  return undefined;
}

/** Flow control's tags, when present: a bounded key, an integer priority. */
function flowTags(at: string, v: unknown): Check {
  if (!isFields(v)) return undefined;
  const flowKey = v[TAG.flow];
  if (typeof flowKey === "string" && flowKey.length > MAX_FLOW_KEY_LENGTH) {
    return refuse(`${at}${key(TAG.flow)}`, `a flow key of at most ${MAX_FLOW_KEY_LENGTH} characters`, flowKey);
  }
  const priority = v[TAG.priority];
  if (priority === undefined) return undefined;
  if (typeof priority === "string" && /^-?\d{1,7}$/.test(priority) && Math.abs(Number(priority)) <= MAX_PRIORITY) return undefined;
  return refuse(`${at}${key(TAG.priority)}`, `a whole number from ${-MAX_PRIORITY} to ${MAX_PRIORITY}`, priority);
}

/** `reprise:retention` on a root: how long its finished execution is kept (docs/retention.md). */
function retentionTag(at: string, v: unknown): Check {
  if (!isFields(v) || v[TAG.retention] === undefined) return undefined;
  if (parseRetention(v[TAG.retention]) !== undefined) return undefined;
  return refuse(`${at}${key(TAG.retention)}`, "a whole number of milliseconds (0 keeps the execution for ever)", v[TAG.retention]);
}

function wholeNumber(at: string, v: unknown, min: number, max: number): Check {
  if (Number.isInteger(v) && (v as number) >= min && (v as number) <= max) return undefined;
  return refuse(at, `a whole number from ${min} to ${max}`, v);
}

function paging(d: Fields): Check {
  return (
    optional(d.limit, () =>
      Number.isInteger(d.limit) && (d.limit as number) >= 1 && (d.limit as number) <= MAX_SEARCH_LIMIT
        ? undefined
        : refuse("data.limit", `a whole number from 1 to ${MAX_SEARCH_LIMIT}`, d.limit),
    ) ??
    optional(d.cursor, () =>
      typeof d.cursor === "string" && decodeCursor(d.cursor) !== undefined ? undefined : refuse("data.cursor", "a cursor returned by a previous search", d.cursor),
    )
  );
}

// ---------------------------------------------------------------------------------------------
// Fields

// Unknown head keys (`resonate:debug_time`, ...) are kept; the known ones must be what they say.
function head(v: unknown): Check {
  if (!isFields(v)) return refuse("head", "an object { corrId, version, auth? }", v);
  if (typeof v.corrId !== "string" || v.corrId.length > MAX_ID_LENGTH) return refuse("head.corrId", `a string of at most ${MAX_ID_LENGTH} characters`, v.corrId);
  if (typeof v.version !== "string" || v.version.length > 64) return refuse("head.version", "a protocol version string", v.version);
  if (v.auth !== undefined && typeof v.auth !== "string") return refuse("head.auth", "a string", v.auth);
  return undefined;
}

function id(at: string, v: unknown): Check {
  return isValidId(v) ? undefined : refuse(at, ID_RULE, v);
}

function scheduleId(at: string, v: unknown): Check {
  return isValidScheduleId(v) ? undefined : refuse(at, SCHEDULE_ID_RULE, v);
}

// An id pattern may hold whatever an id may (spaces too); `*` matches any run.
function pattern(at: string, v: unknown): Check {
  return isValidId(v) ? undefined : refuse(at, `an id pattern of ${ID_RULE} (* matches any run)`, v);
}

function address(at: string, v: unknown): Check {
  if (typeof v === "string" && v.length > 0 && v.length <= MAX_ADDRESS_LENGTH && isPrintable(v)) return undefined;
  return refuse(at, `an address of 1-${MAX_ADDRESS_LENGTH} printable characters, e.g. poll://any@group`, v);
}

function time(at: string, v: unknown, unit: string): Check {
  return isValidTime(v) ? undefined : refuse(at, `a whole number of milliseconds from 0 to ${MAX_TIME} (${unit})`, v);
}

function version(at: string, v: unknown): Check {
  return Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : refuse(at, "a whole number from 0", v);
}

function idempotencyKey(at: string, v: unknown): Check {
  return optional(v, () =>
    typeof v === "string" && v.length > 0 && v.length <= MAX_IDEMPOTENCY_KEY_LENGTH && isStorableText(v)
      ? undefined
      : refuse(at, `a string of 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters, without NUL or lone surrogates`, v),
  );
}

function cron(at: string, v: unknown): Check {
  const expected = `a cron expression of at most ${MAX_CRON_LENGTH} characters, e.g. "*/5 * * * *"`;
  if (typeof v !== "string" || v.trim().length === 0 || v.length > MAX_CRON_LENGTH) return refuse(at, expected, v);
  return isCron(v) ? undefined : rule(at, expected, "Invalid cron expression");
}

function isCron(expression: string): boolean {
  try {
    cronExpressionParser().parse(expression);
    return true;
  } catch {
    return false;
  }
}

function promiseIdTemplate(at: string, v: unknown, scheduleId: string): Check {
  // The longest timestamp a template can receive, so a valid template stays valid at every run.
  if (typeof v === "string" && isValidId(expandPromiseId(v, scheduleId, MAX_TIME))) return undefined;
  return refuse(at, `a promise id template ({{.id}}, {{.timestamp}}) that expands to ${ID_RULE}`, v);
}

function oneOf(at: string, v: unknown, allowed: readonly string[]): Check {
  return typeof v === "string" && allowed.includes(v) ? undefined : refuse(at, `one of ${allowed.join(", ")}`, v);
}

/**
 * A param or value; absent means empty. `data` is any string (the SDKs send base64, an Encryptor
 * may send base64url or anything else), of at most `limits.maxValueBytes` UTF-8 bytes.
 */
function value(at: string, v: unknown, limits: Limits): Check {
  if (v === undefined) return undefined;
  if (!isFields(v)) return refuse(at, "an object { headers?, data? }", v);
  if (v.data !== undefined && typeof v.data !== "string") return refuse(`${at}.data`, "a string", v.data);
  if (typeof v.data === "string" && !fitsInBytes(v.data, limits.maxValueBytes)) {
    // Names both ways to raise it: the store runs embedded (new Reprise) and behind reprise serve.
    const expected = `at most ${limits.maxValueBytes} bytes (limits.maxValueBytes: new Reprise({ limits: { maxValueBytes } }) embedded, reprise serve --max-value-bytes on a server)`;
    return { ok: false, field: `${at}.data`, expected, message: `${at}.data: expected ${expected}, got ${utf8Length(v.data)}` };
  }
  return stringMap(`${at}.headers`, v.headers, "headers", MAX_HEADERS, MAX_HEADER_KEY_LENGTH, MAX_HEADER_VALUE_LENGTH);
}

/** Says whose value is refused (its id, and its function when tagged), so a caller can find the step. */
function ofPromise(d: Fields, refusal: Check): Check {
  if (refusal === undefined) return undefined;
  const func = isFields(d.tags) && typeof d.tags[TAG.func] === "string" ? ` (function ${d.tags[TAG.func]})` : "";
  return { ...refusal, message: `${refusal.message}; promise ${show(d.id)}${func}` };
}

function tags(at: string, v: unknown): Check {
  return stringMap(at, v, "tags", MAX_TAGS, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH);
}

function mapExpectation(what: string, maxEntries: number, maxKey: number, maxValue: number): string {
  return `an object of at most ${maxEntries} ${what} (keys of 1-${maxKey} characters, string values of at most ${maxValue}; no NUL or lone surrogates)`;
}

function stringMap(at: string, v: unknown, what: string, maxEntries: number, maxKey: number, maxValue: number): Check {
  if (v === undefined) return undefined;
  if (!isFields(v)) return refuse(at, mapExpectation(what, maxEntries, maxKey, maxValue), v);
  let entries = 0;
  for (const name in v) {
    if (!Object.hasOwn(v, name)) continue;
    if (++entries > maxEntries) return refuse(at, mapExpectation(what, maxEntries, maxKey, maxValue), `${Object.keys(v).length} entries`);
    if (name.length === 0 || name.length > maxKey || !isStorableText(name)) {
      return refuse(`${at}${key(name)}`, `a key of 1-${maxKey} characters without NUL or lone surrogates`, name);
    }
    const entry = v[name];
    if (typeof entry !== "string" || entry.length > maxValue || !isStorableText(entry)) {
      return refuse(`${at}${key(name)}`, `a string of at most ${maxValue} characters without NUL or lone surrogates`, entry);
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

function optional(v: unknown, check: () => Check): Check {
  return v === undefined ? undefined : check();
}

function isFields(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `.name` for a plain key, `["resonate:target"]` for any other. */
function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** A field that is not what it should be: `field: expected …, got …`. */
function refuse(field: string, expected: string, got: unknown): Refusal {
  return { ok: false, field, expected, message: `${field}: expected ${expected}, got ${show(got)}` };
}

/** A rule between fields, with the message the reference server gives for it. */
function rule(field: string, expected: string, message: string): Refusal {
  return { ok: false, field, expected, message };
}

/** A short, quoted rendering of a bad value for an error message. */
function show(v: unknown): string {
  if (typeof v === "string") return v.length <= 40 ? JSON.stringify(v) : `${JSON.stringify(v.slice(0, 40))}... (${v.length} characters)`;
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  return String(v);
}
