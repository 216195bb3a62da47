/**
 * Every path through the order machine, with the states it visits and the side effects it must
 * leave exactly once. The tests walk these; the demo could too.
 */
import type { OrderEvent, OrderState } from "./order-lifecycle.js";

export interface OrderPath {
  events: OrderEvent[];
  final: OrderState;
  states: OrderState[];
}

export const ORDER_PATHS: readonly OrderPath[] = [
  { events: ["confirm", "ship", "deliver"], final: "delivered", states: ["created", "confirmed", "shipped", "delivered"] },
  { events: ["confirm", "ship", "deliver", "refund"], final: "refunded", states: ["created", "confirmed", "shipped", "delivered", "refunded"] },
  { events: ["cancel"], final: "cancelled", states: ["created", "cancelled"] },
  { events: ["cancel", "refund"], final: "refunded", states: ["created", "cancelled", "refunded"] },
  { events: ["confirm", "cancel"], final: "cancelled", states: ["created", "confirmed", "cancelled"] },
  { events: ["confirm", "cancel", "refund"], final: "refunded", states: ["created", "confirmed", "cancelled", "refunded"] },
];

/** The rows a path leaves in OrderSystems, in `effectsOf` order: notifications, shipment, refund. */
export function expectedEffects(orderId: string, path: OrderPath): string[] {
  return [
    ...path.states.map((state) => `${orderId}:${state}`),
    ...(path.events.includes("ship") ? [`shipment-${orderId}`] : []),
    ...(path.events.includes("refund") ? [`refund-${orderId}`] : []),
  ];
}

/** The side-effect calls an event's transition makes (instrumented as `systems.<method>`), as crash points. */
export function crashPointsOf(event: OrderEvent | "place", path: OrderPath): string[] {
  const next = event === "place" ? "created" : path.states[path.events.indexOf(event) + 1]!;
  const calls = [`systems.notify@${next}`];
  if (event === "ship") calls.unshift("systems.createShipment");
  if (event === "refund") calls.unshift("systems.refund");
  return calls.flatMap((call) => [`before:${call}`, `after:${call}`]);
}
