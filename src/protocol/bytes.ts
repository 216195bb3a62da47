/**
 * Text ↔ bytes ↔ base64 for payloads, browser-safe: on Node it uses Buffer (native, much faster
 * on megabyte values), read from globalThis so no Node type or import reaches a browser build;
 * elsewhere atob/btoa and TextEncoder/TextDecoder.
 */

type BufferLike = Uint8Array & { toString(encoding: "base64" | "utf8"): string };
interface BufferClass {
  from(text: string, encoding: "base64" | "utf8"): BufferLike;
  byteLength(text: string, encoding: "utf8"): number;
}

const NodeBuffer = (globalThis as { Buffer?: BufferClass }).Buffer;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Standard or URL-safe alphabet, padding optional: what the SDKs (and an Encryptor) write. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const EQUALS = 0x3d;

/** UTF-8 size of `text` in bytes. */
export function utf8Length(text: string): number {
  if (NodeBuffer) return NodeBuffer.byteLength(text, "utf8");
  return new TextEncoder().encode(text).length;
}

/** Any character outside ASCII, where UTF-8 and the one-byte strings of btoa/atob part ways. */
// eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: every ASCII character is allowed.
const NON_ASCII = /[^\x00-\x7f]/;
/** Standard base64 only: what atob reads exactly as Buffer does (atob also skips whitespace). */
const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 of `text`'s UTF-8 bytes. */
export function textToBase64(text: string): string {
  // ASCII text is its own UTF-8: btoa encodes it without a Buffer, about 3x faster on a step's
  // small JSON (most payloads are ASCII: JSON.stringify escapes nothing else but keeps it as is).
  if (!NON_ASCII.test(text)) return btoa(text);
  if (NodeBuffer) return NodeBuffer.from(text, "utf8").toString("base64");
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The UTF-8 text `data` is base64 (or base64url) of; undefined when it is not that. Never throws. */
export function base64ToText(data: string): string | undefined {
  if (STANDARD_BASE64.test(data)) {
    // Decoded to one-byte characters; when they are all ASCII, that is the UTF-8 text (as in textToBase64).
    const decoded = atobOrUndefined(data);
    if (decoded !== undefined && !NON_ASCII.test(decoded)) return decoded;
  }
  let end = data.length;
  while (end > 0 && data.charCodeAt(end - 1) === EQUALS) end--;
  if (end % 4 === 1) return undefined;
  try {
    if (NodeBuffer) {
      // Buffer skips what is not base64 rather than failing: then fewer bytes come out than the
      // length promises. (Cheaper than a regular expression over a megabyte value.)
      const bytes = NodeBuffer.from(data, "base64");
      return bytes.length === Math.floor((end * 3) / 4) ? STRICT_UTF8.decode(bytes) : undefined;
    }
    if (!BASE64.test(data)) return undefined;
    const binary = atob(data.replace(/-/g, "+").replace(/_/g, "/"));
    return STRICT_UTF8.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function atobOrUndefined(data: string): string | undefined {
  try {
    return atob(data);
  } catch {
    // Not decodable as it stands (a length atob refuses, say): the general path decides.
    return undefined;
  }
}
