/**
 * Reading stored payloads (base64 of UTF-8 JSON) without trusting them: a record written by any
 * client may hold bytes that are not UTF-8, text that is not JSON, or JSON nested so deep that
 * rendering it (JSON.stringify, recursive walks) overflows the stack. Every reader (the dashboard,
 * the execution tree, the CLI) decodes through here and shows what it could not render as raw
 * text, so one bad record cannot turn a page into a 500. The codec (decodeValue) reads through
 * here too, so base64-JSON decoding lives in this one place. Browser-safe: no Node-only APIs.
 */
import { base64ToText } from "./bytes.js";
import { DEFAULT_LIMITS } from "./limits.js";

/**
 * Rebuilds what plain JSON cannot say (the codec's infinities and errors) while parsing. JSON.parse
 * with a reviver visits every value and runs several times slower, so it is passed only when
 * `mayApply` says the text could hold something to rebuild.
 */
export interface Reviver {
  revive(key: string, value: unknown): unknown;
  /** False only when nothing in `text` can need reviving. */
  mayApply(text: string): boolean;
}

export type DecodedPayload =
  | { ok: true; value: unknown }
  /** `raw` is the decoded text when the bytes were UTF-8, else the base64 as stored; `note` says why. */
  | { ok: false; raw: string; reason: "encoding" | "syntax" | "depth"; note: string };

/** Decodes `data` as the SDKs write it; undefined when there is none. Never throws. */
export function decodePayload(data: string | undefined, maxDepth = DEFAULT_LIMITS.maxJsonDepth, reviver?: Reviver): DecodedPayload | undefined {
  if (data === undefined || data === "") return undefined;
  const text = base64ToText(data);
  if (text === undefined) return { ok: false, raw: data, reason: "encoding", note: "not base64 of UTF-8 text" };
  return parseJsonText(text, maxDepth, reviver);
}

/** Parses JSON text, refusing (not throwing) text nested deeper than `maxDepth`. */
export function parseJsonText(text: string, maxDepth = DEFAULT_LIMITS.maxJsonDepth, reviver?: Reviver): DecodedPayload {
  if (jsonDepthExceeds(text, maxDepth)) {
    return { ok: false, raw: text, reason: "depth", note: `JSON nested deeper than ${maxDepth} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text, reviver?.mayApply(text) ? reviver.revive : undefined) as unknown };
  } catch {
    return { ok: false, raw: text, reason: "syntax", note: "not JSON" };
  }
}

/** Whether `text` holds more than `max` of `[` and `{` together (inside strings too); indexOf is native and fast. */
function opensMoreThan(text: string, max: number): boolean {
  let count = 0;
  for (const bracket of ["[", "{"]) {
    for (let at = text.indexOf(bracket); at >= 0; at = text.indexOf(bracket, at + 1)) if (++count > max) return true;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether JSON `text` nests arrays and objects deeper than `maxDepth`: one linear scan, no
 * allocation, so a hostile document is refused before JSON.parse spends time (or a reviver or a
 * renderer spends stack) on it. Brackets inside strings do not count. Malformed text is left to
 * JSON.parse to refuse.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  // Nesting deeper than maxDepth takes more than maxDepth opening brackets: text with fewer (most
  // values and request bodies, however long) needs no character-by-character scan.
  if (text.length <= maxDepth || !opensMoreThan(text, maxDepth)) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) i = closingQuote(text, i);
    else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) depth--;
  }
  return false;
}

/**
 * Where the string opened at `open` ends (the text's length if it never does). A batch of requests
 * is mostly long strings (base64 payloads): indexOf jumps over them natively, where a scan of
 * every character was 4% of a server's CPU while 100,000 workflows started.
 */
function closingQuote(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    // A quote after an odd run of backslashes is escaped; after an even one, the backslashes escape each other.
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return text.length;
}
