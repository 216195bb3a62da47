/**
 * One-click buy, the seed's form: the whole window is one step, a Promise.race of a timer and an
 * in-process signal (an EventEmitter). The step's result is checkpointed once the window closes,
 * but while it is open it lives only in this process's memory: a crash restarts the window from
 * zero, and a cancel sent while no process listens is lost. The durable form fixes both.
 */
import { EventEmitter, once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "../../src/index.js";
import { cancelPurchase, confirmPurchase, startPurchase, type BuyOutcome } from "./purchase-steps.js";

/** In-process cancel signals: `cancel(orderId)` says whether a window was listening. */
export class CancelSignals {
  private readonly emitter = new EventEmitter();

  cancel(orderId: string): boolean {
    return this.emitter.emit(`cancel:${orderId}`);
  }

  /** Resolves when `orderId` is cancelled; rejects when `signal` aborts. */
  async cancelled(orderId: string, signal: AbortSignal): Promise<void> {
    await once(this.emitter, `cancel:${orderId}`, { signal });
  }
}

export function* oneClickBuyInMemory(ctx: Context, orderId: string, windowMs: number): Generator<unknown, BuyOutcome, unknown> {
  yield* ctx.run(startPurchase, orderId);

  const decision = yield* ctx.run(cancellationWindow, orderId, windowMs);

  if (decision === "cancel") {
    return { orderId, outcome: "cancelled", at: yield* ctx.run(cancelPurchase, orderId) };
  }
  return { orderId, outcome: "confirmed", at: yield* ctx.run(confirmPurchase, orderId) };
}

async function cancellationWindow(ctx: Context, orderId: string, windowMs: number): Promise<"cancel" | "confirm"> {
  const signals = ctx.getDependency<CancelSignals>("cancelSignals");
  const closed = new AbortController();
  try {
    return await Promise.race([
      sleep(windowMs, "confirm" as const, { signal: closed.signal }),
      signals.cancelled(orderId, closed.signal).then(() => "cancel" as const),
    ]);
  } finally {
    closed.abort();
  }
}
