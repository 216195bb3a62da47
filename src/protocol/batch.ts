/**
 * Reprise extension of the protocol: many requests in one `POST /`, applied by the server in one
 * store transaction (group commit) and answered one by one, in order. Each item gets its own
 * answer; a refused item never fails its neighbours. Official Resonate clients never send it and
 * keep using the standard kinds; a Reprise worker sends every request that is ready in one
 * event-loop turn as one batch.
 */
import type { Request, RequestHead, Response, ResponseHead } from "./requests.js";

export const BATCH_KIND = "reprise.batch";

/** Most requests in one batch. */
export const MAX_BATCH_REQUESTS = 1000;

export interface BatchRequest {
  kind: typeof BATCH_KIND;
  head: RequestHead;
  data: { requests: Request[] };
}

/** 200 with one response per request, in order; or an error status with a message (the whole batch was refused). */
export type BatchResponse =
  | { kind: typeof BATCH_KIND; head: ResponseHead & { status: 200 }; data: { responses: Response[] } }
  | { kind: typeof BATCH_KIND; head: ResponseHead; data: string };
