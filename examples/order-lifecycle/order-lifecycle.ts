/**
 * An order's whole life as straight-line generator code: created → confirmed → shipped →
 * delivered, cancelled before shipping, refunded after a cancel or a delivery. There is no status
 * column: where the generator waits *is* the order's state. Each wait is a durable promise with
 * a deterministic id (`order-<id>.in-<state>`: a state is visited at most once, so it names the
 * position) whose data says what the state accepts; `OrderService.send` settles it.
 */
import type { Context } from "../../src/index.js";
import type { OrderSystems } from "./order-systems.js";

export type OrderState = "created" | "confirmed" | "shipped" | "delivered" | "cancelled" | "refunded";
export type OrderEvent = "confirm" | "ship" | "deliver" | "cancel" | "refund";
export const ORDER_EVENTS: readonly OrderEvent[] = ["confirm", "ship", "deliver", "cancel", "refund"];

/** The data of a waiting promise: the state the order is in and the events it accepts there. */
export interface Waiting {
  state: OrderState;
  accepts: OrderEvent[];
}

/** The value that settles a waiting promise. */
export interface EventRequest {
  event: OrderEvent;
  at: number;
}

export interface OrderOutcome {
  orderId: string;
  state: Extract<OrderState, "delivered" | "cancelled" | "refunded">;
}

export function orderId(id: string): string {
  return `order-${id}`;
}

export function waitingId(id: string, state: OrderState): string {
  return `${orderId(id)}.in-${state}`;
}

export function* orderLifecycle(ctx: Context, id: string, refundWindowMs: number): Generator<unknown, OrderOutcome, unknown> {
  yield* ctx.run(notify, id, "created");

  if ((yield* nextEvent(ctx, id, { state: "created", accepts: ["confirm", "cancel"] })) === "confirm") {
    yield* ctx.run(notify, id, "confirmed");

    if ((yield* nextEvent(ctx, id, { state: "confirmed", accepts: ["ship", "cancel"] })) === "ship") {
      yield* ctx.run(createShipment, id);
      yield* ctx.run(notify, id, "shipped");

      yield* nextEvent(ctx, id, { state: "shipped", accepts: ["deliver"] });
      yield* ctx.run(notify, id, "delivered");
      return yield* refundable(ctx, id, "delivered", refundWindowMs);
    }
  }

  yield* ctx.run(notify, id, "cancelled");
  return yield* refundable(ctx, id, "cancelled", refundWindowMs);
}

/** Waits in a state for its next event. */
export function* nextEvent(ctx: Context, id: string, waiting: Waiting): Generator<unknown, OrderEvent, unknown> {
  const request = yield* ctx.promise<EventRequest>({ id: waitingId(id, waiting.state), data: waiting });
  const { event } = yield* request;
  // OrderService refuses other events; one settled around it (by hand, with the CLI) stops here.
  yield* ctx.assert(waiting.accepts.includes(event), `order ${id} got "${event}" while ${waiting.state}, which accepts ${waiting.accepts.join(", ")}`);
  return event;
}

/** A delivered or cancelled order can be refunded until its refund window closes. */
export function* refundable(ctx: Context, id: string, state: OrderOutcome["state"], windowMs: number): Generator<unknown, OrderOutcome, unknown> {
  const refundRequest = yield* ctx.promise<EventRequest>({ id: waitingId(id, state), data: { state, accepts: ["refund"] } satisfies Waiting });
  const windowCloses = yield* ctx.timer(windowMs);
  const { index } = yield* ctx.race<unknown>([refundRequest, windowCloses]);
  if (index === 1) return { orderId: id, state };

  yield* ctx.run(refund, id);
  yield* ctx.run(notify, id, "refunded");
  return { orderId: id, state: "refunded" };
}

export async function notify(ctx: Context, id: string, state: OrderState): Promise<string> {
  return ctx.getDependency<OrderSystems>("orderSystems").notify(id, state);
}

export async function createShipment(ctx: Context, id: string): Promise<string> {
  return ctx.getDependency<OrderSystems>("orderSystems").createShipment(id);
}

export async function refund(ctx: Context, id: string): Promise<string> {
  return ctx.getDependency<OrderSystems>("orderSystems").refund(id);
}
