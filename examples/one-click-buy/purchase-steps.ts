/** The steps both forms share: each reads the Purchases client from the dependencies. */
import type { Context } from "../../src/index.js";
import type { Purchases } from "./purchases.js";

export interface BuyOutcome {
  orderId: string;
  outcome: "confirmed" | "cancelled";
  at: number;
}

export async function startPurchase(ctx: Context, orderId: string): Promise<number> {
  return ctx.getDependency<Purchases>("purchases").start(orderId);
}

export async function confirmPurchase(ctx: Context, orderId: string): Promise<number> {
  return ctx.getDependency<Purchases>("purchases").confirm(orderId);
}

export async function cancelPurchase(ctx: Context, orderId: string): Promise<number> {
  return ctx.getDependency<Purchases>("purchases").cancel(orderId);
}

/** The execution id of an order's purchase, in either form. */
export function buyId(orderId: string): string {
  return `buy-${orderId}`;
}
