/**
 * Answers a `reprise.batch` (src/protocol/batch.ts): many protocol requests in one `POST /`. The
 * envelope was authorised as a whole (src/server/auth.ts reads its head like any request's). Each
 * item is validated on its own: a refused item is answered 400 in its place and never reaches the
 * store, and the valid ones go to `store.applyBatch` together, so a group-committing store writes
 * them in one transaction. Answers come back in request order, each shaped like a single answer.
 */
import { BATCH_KIND } from "../protocol/batch.js";
import type { Limits } from "../protocol/limits.js";
import { STATUS, type Request } from "../protocol/requests.js";
import { parseBatch } from "../protocol/validation.js";
import type { Store } from "../store/store.js";
import type { Ticker } from "../store/ticker.js";
import { protocolAnswer, protocolRefusal } from "./protocol-reply.js";
import type { RefusedWrites } from "./refused-writes.js";

export interface BatchReply {
  status: number;
  body: unknown;
}

export async function answerBatch(body: unknown, store: Store, ticker: Ticker, limits: Limits, refusedWrites: RefusedWrites): Promise<BatchReply> {
  const parsed = parseBatch(body, limits);
  if (!parsed.ok) {
    const { field, expected, message } = parsed;
    return { status: STATUS.badRequest, body: protocolRefusal(body, STATUS.badRequest, message, { field, expected, message }) };
  }
  const items = (body as { data: { requests: unknown[] } }).data.requests;
  const valid: Request[] = [];
  for (const item of parsed.items) if (item.ok) valid.push(item.request);

  const applied = valid.length > 0 ? await store.applyBatch(valid) : [];
  if (applied.length !== valid.length) throw new Error(`store answered ${applied.length} of ${valid.length} batched requests`);
  for (const req of valid) ticker.applied(req);

  let next = 0;
  const responses = parsed.items.map((item, index) => {
    if (item.ok) return protocolAnswer(item.request, applied[next++]!);
    const { field, expected, message } = item;
    refusedWrites.note(items[index], field, message);
    return protocolRefusal(items[index], STATUS.badRequest, message, { field, expected, message });
  });
  return {
    status: STATUS.ok,
    body: { kind: BATCH_KIND, head: { corrId: parsed.head.corrId, status: STATUS.ok, version: parsed.head.version }, data: { responses } },
  };
}

