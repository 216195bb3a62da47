/**
 * One-click buy, the durable form: the cancel request is a durable promise (settled from outside
 * by its id) raced against a durable timer. Both live in the promise store, so a cancel sent
 * while no process runs is kept, and a crash does not reopen the window: the timer keeps the
 * deadline it was created with.
 */
import type { Context } from "../../src/index.js";
import { buyId, cancelPurchase, confirmPurchase, startPurchase, type BuyOutcome } from "./purchase-steps.js";

export interface CancelRequest {
  /** When the user asked (ms since the epoch). */
  at: number;
}

/** The durable promise a cancel settles. */
export function cancelId(orderId: string): string {
  return `${buyId(orderId)}.cancel`;
}

export function* oneClickBuy(ctx: Context, orderId: string, windowMs: number): Generator<unknown, BuyOutcome, unknown> {
  yield* ctx.run(startPurchase, orderId);

  const cancel = yield* ctx.promise<CancelRequest>({ id: cancelId(orderId) });
  const window = yield* ctx.timer(windowMs);
  const { index } = yield* ctx.race<unknown>([cancel, window]);

  if (index === 0) {
    return { orderId, outcome: "cancelled", at: yield* ctx.run(cancelPurchase, orderId) };
  }
  return { orderId, outcome: "confirmed", at: yield* ctx.run(confirmPurchase, orderId) };
}
