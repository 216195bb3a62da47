/**
 * Encodes values as the protocol carries them: `data` is base64 of JSON, errors keep their name,
 * message, stack and own fields, as @resonatehq/sdk's codec does, so both SDKs read each other's
 * payloads. Both directions are bounded in depth (limits.maxJsonDepth). Browser-safe.
 */
import { textToBase64 } from "./bytes.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { decodePayload } from "./payload.js";
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
  const decoded = decodePayload(value?.data, maxDepth, revive);
  if (decoded === undefined) return undefined;
  if (!decoded.ok) throw new SerializationError(`the stored value cannot be read: ${decoded.note}`);
  return decoded.value;
}

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
  let special = false;
  const seen = new Set<object>();
  // A frame either visits a value or, once its children are done, leaves an object (for cycles).
  const stack: ({ v: unknown; at: string; depth: number } | { leave: object })[] = [{ v: value, at: path, depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ("leave" in frame) {
      seen.delete(frame.leave);
      continue;
    }
    const { v, at, depth } = frame;
    switch (typeof v) {
      case "function":
        throw new SerializationError(`${at} is a function, which cannot be stored durably; pass data, not code`);
      case "symbol":
        throw new SerializationError(`${at} is a symbol, which cannot be stored durably`);
      case "bigint":
        throw new SerializationError(`${at} is a bigint, which JSON cannot store; pass it as a string`);
      case "number":
        if (Number.isNaN(v)) throw new SerializationError(`${at} is NaN, which JSON cannot store`);
        if (!Number.isFinite(v)) special = true;
        continue;
      case "object": {
        if (v instanceof Error) special = true;
        if (v === null || v instanceof Error || v instanceof Date) continue;
        if (depth >= maxDepth) throw new SerializationError(`${path} nests arrays and objects more than ${maxDepth} levels deep, which cannot be stored`);
        if (seen.has(v)) throw new SerializationError(`${at} refers back to itself (a cycle), which JSON cannot store`);
        seen.add(v);
        stack.push({ leave: v });
        if (Array.isArray(v)) {
          for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], at: `${at}[${i}]`, depth: depth + 1 });
          continue;
        }
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "unknown";
          throw new SerializationError(`${at} is an instance of ${name}; only plain objects, arrays and primitives can be stored`);
        }
        const entries = Object.entries(v);
        for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i]![1], at: `${at}.${entries[i]![0]}`, depth: depth + 1 });
        continue;
      }
      default:
        continue;
    }
  }
  return special;
}
