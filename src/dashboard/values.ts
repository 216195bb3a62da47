/**
 * Turning stored payloads into something a person can read: base64 JSON decoded, big values
 * folded, encoded errors recognized, the attempt count read from its header. Pure: no Node-only
 * APIs, so the same rules can run anywhere.
 */
import { decodePayload } from "../protocol/payload.js";
import type { ErrorView, ShownValue } from "./api-types.js";

// Read in protocol/outcomes.ts, where the header is named (the CLI tree reads it too).
export { attemptsOf } from "../protocol/outcomes.js";

/** Characters of a value shown before it is folded. */
export const DEFAULT_FOLD_LIMIT = 2000;

/** `note`, when set, says why JSON text is shown raw (it was nested too deep to render). */
export type Decoded = { ok: true; value: unknown } | { ok: false; raw: string; note?: string };

/**
 * Decodes `data` as the SDK writes it (base64 of UTF-8 JSON); undefined when there is none. A
 * payload that cannot be rendered (not UTF-8, not JSON, nested too deep) comes back as raw text.
 */
export function decodeData(data: string | undefined): Decoded | undefined {
  const decoded = decodePayload(data);
  if (decoded === undefined || decoded.ok) return decoded;
  // Text that is not JSON speaks for itself; JSON shown raw needs to say why it is not laid out.
  return decoded.reason === "depth" ? { ok: false, raw: decoded.raw, note: decoded.note } : { ok: false, raw: decoded.raw };
}

/** Pretty-prints a decoded payload and folds it when it is longer than `limit` characters. */
export function showValue(decoded: Decoded, limit = DEFAULT_FOLD_LIMIT): ShownValue {
  const text = decoded.ok ? prettyJson(decoded.value) : decoded.note ? `(shown raw: ${decoded.note})\n${decoded.raw}` : decoded.raw;
  return foldText(text, limit, decoded.ok);
}

/** The first `limit` characters of `text`, marked as folded when something was cut. */
export function foldText(text: string, limit: number, json = true): ShownValue {
  const folded = text.length > limit;
  return { text: folded ? text.slice(0, limit) : text, folded, size: text.length, json };
}

/** The error an encoded value stands for (`{ __type: "error", name, message, stack }`), if it is one. */
export function errorOf(value: unknown): ErrorView | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  if (fields.__type !== "error") return undefined;
  const error: ErrorView = { name: textOr(fields.name, "Error"), message: textOr(fields.message, "") };
  if (typeof fields.stack === "string" && fields.stack !== "") error.stack = fields.stack;
  const cause = causeOf(fields.cause);
  if (cause !== undefined) error.cause = cause;
  return error;
}

/**
 * What a param means to a reader: the `args` of a Reprise call param (`{ func, args, version }`),
 * else the param as decoded.
 */
export function argumentsOf(param: unknown): unknown {
  if (typeof param === "object" && param !== null && !Array.isArray(param) && "func" in param && "args" in param) {
    return (param as { args: unknown }).args;
  }
  return param;
}

// ---------------------------------------------------------------------------------------------

function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

function textOr(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function causeOf(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === "string") return cause;
  if (typeof cause === "object") {
    const { name, message } = cause as { name?: unknown; message?: unknown };
    if (typeof message === "string") return typeof name === "string" ? `${name}: ${message}` : message;
  }
  return JSON.stringify(cause);
}
