/** Protocol-shaped answers: a store response echoed back to its request, and refusals. */
import { PROTOCOL_VERSION, type Request, type Response } from "../protocol/requests.js";

export interface RefusedField {
  field: string;
  expected: string;
  message: string;
}

/**
 * The store's response as the client must see it: `kind`, `corrId` and `version` echoed from the
 * request, which the official client checks before it trusts an answer.
 */
export function protocolAnswer(req: Request, response: Response): Response {
  return { ...response, kind: req.kind, head: { ...response.head, corrId: req.head.corrId, version: req.head.version } } as Response;
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
