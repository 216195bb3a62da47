/**
 * Encodes values as the protocol carries them: `data` is base64 of JSON, errors keep their name,
 * message, stack and own fields, as @resonatehq/sdk's codec does, so both SDKs read each other's
 * payloads. Both directions are bounded in depth (limits.maxJsonDepth). Browser-safe.
 */
import { textToBase64 } from "./bytes.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { decodePayload, type Reviver } from "./payload.js";
import type { Value } from "./records.js";

const INFINITY = "__INF__";
const NEGATIVE_INFINITY = "__NEG_INF__";

export class SerializationError extends Error {
  override name = "SerializationError";
}

/** Encodes a JSON-compatible value. Throws SerializationError naming the path of what cannot be stored. */
export function encodeValue(value: unknown, what = "value", maxDepth = DEFAULT_LIMITS.maxJsonDepth): Value {
  if (value === undefined) return { headers: {}, data: "" };
  // The walk that checks the value also tells whether it holds what plain JSON cannot say
  // (infinities, errors): only then is the slower replacer needed.
  const json = assertSerializable(value, what, maxDepth)
    ? JSON.stringify(value, (_key, v: unknown) => {
        if (v === Number.POSITIVE_INFINITY) return INFINITY;
        if (v === Number.NEGATIVE_INFINITY) return NEGATIVE_INFINITY;
        if (v instanceof Error) return serializeError(v);
        return v;
      })
    : JSON.stringify(value);
  return { headers: {}, data: textToBase64(json) };
}

/**
 * The value `value.data` encodes; undefined when there is none. Throws a SerializationError when
 * it is not base64 of JSON, or nests deeper than `maxDepth` (a reviver recurses: a deep payload
 * any client may store would overflow the stack).
 */
export function decodeValue(value: Value | undefined, maxDepth = DEFAULT_LIMITS.maxJsonDepth): unknown {
  const decoded = decodePayload(value?.data, maxDepth, REVIVER);
  if (decoded === undefined) return undefined;
  if (!decoded.ok) throw new SerializationError(`the stored value cannot be read: ${decoded.note}`);
  return decoded.value;
}

/**
 * Everything revive rebuilds is spelled with "__" (the infinities, an error's `__type` key), or
 * with a \u escape in text some other writer made: text with neither, the commonest by far,
 * parses without the reviver.
 */
const REVIVER: Reviver = { revive, mayApply: (text) => text.includes("__") || text.includes("\\u") };

function revive(_key: string, v: unknown): unknown {
  if (v === INFINITY) return Number.POSITIVE_INFINITY;
  if (v === NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (isSerializedError(v)) return deserializeError(v);
  return v;
}

interface SerializedError {
  __type: "error";
  name: string;
  message: string;
  stack?: string;
  [field: string]: unknown;
}

function serializeError(error: Error): SerializedError {
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(error)) own[key] = (error as unknown as Record<string, unknown>)[key];
  return { ...own, __type: "error", name: error.name, message: error.message, stack: error.stack };
}

function isSerializedError(v: unknown): v is SerializedError {
  return typeof v === "object" && v !== null && (v as { __type?: unknown }).__type === "error";
}

function deserializeError(v: SerializedError): Error {
  const { __type: _type, name, message, stack, ...fields } = v;
  const error = new Error(message);
  error.name = name;
  if (stack) error.stack = stack;
  Object.assign(error, fields);
  return error;
}

/**
 * Walks a value and throws on anything JSON would drop or mangle silently, or nest deeper than
 * `maxDepth` (JSON.stringify recurses, so a deeper value would overflow the stack, and no
 * reader could render it). Returns whether it holds an infinity or an error, which the codec
 * writes in forms of its own. Iterative, so the walk itself cannot overflow the stack.
 */
export function assertSerializable(value: unknown, path: string, maxDepth = DEFAULT_LIMITS.maxJsonDepth): boolean {
  // Most step results are a number, a string or a small object: a primitive needs no walk at all.
  if (typeof value !== "object" || value === null) return checkLeaf(value, undefined, path);
  if (plainlyStorable(value, 0, Math.min(QUICK_DEPTH, maxDepth))) return false;
  let special = false;
  const seen = new Set<object>();
  // A frame either visits a value or, once its children are done, leaves an object (for cycles).
  // A visit knows its parent and key, so a path is spelled out only for an error message.
  const stack: (Visit | { leave: object })[] = [{ v: value, parent: undefined, key: "", depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ("leave" in frame) {
      seen.delete(frame.leave);
      continue;
    }
    const v = frame.v;
    if (typeof v !== "object" || v === null) {
      if (checkLeaf(v, frame, path)) special = true;
      continue;
    }
    if (v instanceof Error) {
      special = true;
      continue;
    }
    if (v instanceof Date) continue;
    if (frame.depth >= maxDepth) throw new SerializationError(`${path} nests arrays and objects more than ${maxDepth} levels deep, which cannot be stored`);
    if (seen.has(v)) throw new SerializationError(`${pathOf(frame, path)} refers back to itself (a cycle), which JSON cannot store`);
    seen.add(v);
    stack.push({ leave: v });
    const depth = frame.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], parent: frame, key: i, depth });
      continue;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "unknown";
      throw new SerializationError(`${pathOf(frame, path)} is an instance of ${name}; only plain objects, arrays and primitives can be stored`);
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ v: (v as Record<string, unknown>)[keys[i]!], parent: frame, key: keys[i]!, depth });
  }
  return special;
}

/** How deep the quick look goes before the walk above takes over: most values are a few levels deep. */
const QUICK_DEPTH = 8;

/**
 * Whether `v` is plainly storable as it is: strings, booleans, finite numbers, null, undefined,
 * plain objects and arrays, less than `limit` levels deep. False means "look closer" (the walk
 * above decides, and names what is wrong), not "refused". A recursive look at a shallow value
 * allocates nothing, where the walk keeps a stack and a set of the objects it is inside.
 */
function plainlyStorable(v: unknown, depth: number, limit: number): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
    case "undefined":
      return true;
    case "number":
      return Number.isFinite(v);
    case "object":
      break;
    default:
      return false;
  }
  if (v === null) return true;
  if (depth >= limit) return false;
  if (Array.isArray(v)) {
    for (const item of v) if (!plainlyStorable(item, depth + 1, limit)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in v) if (Object.hasOwn(v, key) && !plainlyStorable((v as Record<string, unknown>)[key], depth + 1, limit)) return false;
  return true;
}

interface Visit {
  v: unknown;
  parent: Visit | undefined;
  /** Its index in the parent array, or its key in the parent object ("" for the root). */
  key: number | string;
  depth: number;
}

/** `value.a[1]`: the root's path, then each key down to `visit` (the root itself when there is none). */
function pathOf(visit: Visit | undefined, root: string): string {
  const parts: string[] = [];
  for (let at = visit; at?.parent !== undefined; at = at.parent) parts.push(typeof at.key === "number" ? `[${at.key}]` : `.${at.key}`);
  return root + parts.reverse().join("");
}

/** Throws on a primitive JSON cannot store; returns whether it is an infinity (written in a form of the codec's own). */
function checkLeaf(v: unknown, visit: Visit | undefined, root: string): boolean {
  switch (typeof v) {
    case "function":
      throw new SerializationError(`${pathOf(visit, root)} is a function, which cannot be stored durably; pass data, not code`);
    case "symbol":
      throw new SerializationError(`${pathOf(visit, root)} is a symbol, which cannot be stored durably`);
    case "bigint":
      throw new SerializationError(`${pathOf(visit, root)} is a bigint, which JSON cannot store; pass it as a string`);
    case "number":
      if (Number.isNaN(v)) throw new SerializationError(`${pathOf(visit, root)} is NaN, which JSON cannot store`);
      return !Number.isFinite(v);
    default:
      return false;
  }
}
