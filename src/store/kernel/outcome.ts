/**
 * What a transition answers (a status and its data) before it is dressed as a wire `Response`
 * with the request's kind, corrId and version.
 */
import { PROTOCOL_VERSION, STATUS, type RequestHead, type RequestKind, type Response, type Status, type SuccessData } from "../../protocol/requests.js";

export type ErrorStatus = Exclude<Status, 200 | 300>;

export type Outcome<K extends RequestKind> =
  | { status: 200 | 300; data: SuccessData[K] }
  | { status: ErrorStatus; data: string };

export function ok<D>(data: D): { status: 200; data: D } {
  return { status: STATUS.ok, data };
}

export function fail(status: ErrorStatus, message: string): { status: ErrorStatus; data: string } {
  return { status, data: message };
}

export function toResponse<K extends RequestKind>(kind: K, head: RequestHead | undefined, outcome: Outcome<K>): Response<K> {
  const response = {
    kind,
    head: { corrId: head?.corrId ?? "", status: outcome.status, version: head?.version ?? PROTOCOL_VERSION },
    data: outcome.data,
  };
  // The union over kinds cannot be narrowed from a generic K; the pieces above are each correct.
  return response as Response<K>;
}
