/** Protocol-shaped error bodies for requests the server refuses before the store sees them. */
import { PROTOCOL_VERSION } from "../protocol/requests.js";

export interface RefusedField {
  field: string;
  expected: string;
  message: string;
}

/**
 * `{ kind, head: { corrId, status, version }, data: message }`, echoing whatever can be read of the
 * request so a client can still match the answer to it. `error` names the refused field, if any.
 */
export function protocolRefusal(body: unknown, status: number, message: string, error?: RefusedField) {
  const { kind, head } = (typeof body === "object" && body !== null ? body : {}) as {
    kind?: unknown;
    head?: { corrId?: unknown; version?: unknown };
  };
  return {
    kind: typeof kind === "string" ? kind : "unknown",
    head: {
      corrId: typeof head?.corrId === "string" ? head.corrId : "",
      status,
      version: typeof head?.version === "string" ? head.version : PROTOCOL_VERSION,
    },
    data: message,
    ...(error ? { error } : {}),
  };
}
