/**
 * Reading stored payloads (base64 of UTF-8 JSON) without trusting them: a record written by any
 * client may hold bytes that are not UTF-8, text that is not JSON, or JSON nested so deep that
 * rendering it (JSON.stringify, recursive walks) overflows the stack. Every reader (the dashboard,
 * the execution tree, the CLI) decodes through here and shows what it could not render as raw
 * text, so one bad record cannot turn a page into a 500. Browser-safe: no Node-only APIs.
 */

/**
 * Deepest JSON nesting accepted in a request body and rendered by a reader. JSON.stringify
 * recurses, and a few thousand levels overflow a default Node stack; 1000 is far beyond any
 * real document and well inside what the stack holds.
 */
export const MAX_JSON_DEPTH = 1000;

export type DecodedPayload =
  | { ok: true; value: unknown }
  /** `raw` is the decoded text when the bytes were UTF-8, else the base64 as stored; `note` says why. */
  | { ok: false; raw: string; reason: "encoding" | "syntax" | "depth"; note: string };

/** Decodes `data` as the SDKs write it; undefined when there is none. Never throws. */
export function decodePayload(data: string | undefined, maxDepth = MAX_JSON_DEPTH): DecodedPayload | undefined {
  if (data === undefined || data === "") return undefined;
  let text: string;
  try {
    const bytes = Uint8Array.from(atob(data), (char) => char.charCodeAt(0));
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, raw: data, reason: "encoding", note: "not base64 of UTF-8 text" };
  }
  return parseJsonText(text, maxDepth);
}

/** Parses JSON text, refusing (not throwing) text nested deeper than `maxDepth`. */
export function parseJsonText(text: string, maxDepth = MAX_JSON_DEPTH): DecodedPayload {
  if (jsonDepthExceeds(text, maxDepth)) return { ok: false, raw: text, reason: "depth", note: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, raw: text, reason: "syntax", note: "not JSON" };
  }
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
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) depth--;
  }
  return false;
}
