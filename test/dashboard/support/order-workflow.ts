/**
 * The workflows the browser test runs: an order that waits for a person's approval (raced
 * against a ten-minute timer), a step that succeeds on its second attempt, a best-effort step
 * that fails for good, and two small executions for the list.
 */
import { never, type Context, type Reprise } from "../../../src/index.js";

export interface Approval {
  approved: boolean;
  by: string;
}

let reserveAttempts = 0;

async function chargeCard(_ctx: Context, orderId: string, cents: number) {
  const receipt = Array.from({ length: 40 }, (_, line) => ({ line: line + 1, sku: `sku-${line}`, cents: 125 }));
  return { chargeId: `ch_${orderId}`, cents, receipt };
}

async function reserveStock(_ctx: Context, sku: string) {
  reserveAttempts++;
  if (reserveAttempts === 1) throw new Error("warehouse did not answer in time");
  return { sku, reserved: true };
}

async function notifyLegacyCrm(_ctx: Context, orderId: string): Promise<void> {
  throw new TypeError(`legacy CRM refused order ${orderId}: field 'email' is required`);
}

function* fulfilOrder(ctx: Context, orderId: string, cents: number) {
  const charge = yield* ctx.run(chargeCard, orderId, cents);
  const approval = yield* ctx.promise<Approval>({ id: `approve-${orderId}`, data: { orderId, cents } });
  const deadline = yield* ctx.timer(10 * 60_000);
  const first = yield* ctx.race<unknown>([approval, deadline]);
  if (first.index !== 0) return { orderId, status: "expired" };
  const stock = yield* ctx.run(reserveStock, "sku-42");
  try {
    yield* ctx.run(notifyLegacyCrm, orderId, ctx.options({ retryPolicy: never }));
  } catch {
    // Best effort: the CRM catches up from its nightly import.
  }
  return { orderId, status: "shipped", chargeId: charge.chargeId, reserved: stock.reserved, approvedBy: (first.value as Approval).by };
}

async function greet(_ctx: Context, name: string) {
  return `hello, ${name}`;
}

function* refund(_ctx: Context, orderId: string): Generator<never, never, unknown> {
  throw new Error(`order ${orderId} was never charged`);
}

export function registerOrderWorkflows(reprise: Reprise) {
  return {
    fulfilOrder: reprise.register("fulfilOrder", fulfilOrder),
    greet: reprise.register("greet", greet),
    refund: reprise.register("refund", refund),
  };
}
