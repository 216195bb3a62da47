/**
 * The order API: place an order, send it an event, read its state. An event is accepted only if
 * the state the order waits in lists it; anything else is refused with a message that says why
 * and what would be accepted, and changes nothing.
 */
import { ConflictError, type DurablePromiseView, type Reprise } from "../../src/index.js";
import { deriveOrderView, type OrderView } from "./order-view.js";
import { ORDER_EVENTS, orderId, type EventRequest, type OrderEvent } from "./order-lifecycle.js";

export class OrderNotFound extends Error {
  override name = "OrderNotFound";
}

/** The event is not valid in the order's current state. */
export class EventRefused extends Error {
  override name = "EventRefused";
}

export interface OrderServiceOptions {
  refundWindowMs: number;
  /** How long `send` waits for a transition that is running to finish. */
  busyWaitMs?: number;
}

const DAY = 24 * 60 * 60 * 1000;

export class OrderService {
  constructor(
    private readonly reprise: Reprise,
    private readonly options: OrderServiceOptions,
  ) {}

  async place(id: string): Promise<OrderView> {
    // The order lives past the refund window, longer than an execution's default 24 h deadline.
    const timeout = this.options.refundWindowMs + 30 * DAY;
    await this.reprise.beginRun(orderId(id), "orderLifecycle", id, this.options.refundWindowMs, this.reprise.options({ timeout }));
    return this.settledView(id);
  }

  /** Applies `event` if the order's state accepts it; returns the state after the transition. */
  async send(id: string, event: string): Promise<OrderView> {
    if (!ORDER_EVENTS.includes(event as OrderEvent)) throw new EventRefused(`cannot ${event} order ${id}: "${event}" is not an order event; events are: ${ORDER_EVENTS.join(", ")}`);
    for (;;) {
      const view = await this.settledView(id);
      if (view.closed) throw new EventRefused(`cannot ${event} order ${id}: it is ${view.state}; it accepts no more events`);
      if (!view.accepts.includes(event as OrderEvent)) {
        throw new EventRefused(`cannot ${event} order ${id}: it is ${view.state}; expected one of: ${view.accepts.join(", ")}`);
      }
      await this.refuseAfterRefundWindow(id, event);
      try {
        const request: EventRequest = { event: event as OrderEvent, at: Date.now() };
        // The key is the event: the same event sent twice is one transition, another event racing it conflicts.
        await this.reprise.promises.resolve(`${orderId(id)}.in-${view.state}`, request, { idempotencyKey: event });
      } catch (error) {
        if (error instanceof ConflictError) continue; // another event moved the order first: judge again
        throw error;
      }
      return this.settledView(id);
    }
  }

  /** The order's state and history, derived from its promises. */
  async view(id: string): Promise<OrderView> {
    return deriveOrderView(id, await this.promisesOf(id));
  }

  /** The view once no transition is running (bounded by busyWaitMs). */
  private async settledView(id: string): Promise<OrderView> {
    const deadline = Date.now() + (this.options.busyWaitMs ?? 10_000);
    for (;;) {
      const view = await this.view(id);
      const busy = !view.closed && view.accepts.length === 0;
      if (!busy || Date.now() > deadline) return view;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** See the one-click-buy README: a refund stored after its window closed would still win a replayed race. */
  private async refuseAfterRefundWindow(id: string, event: string): Promise<void> {
    if (event !== "refund") return;
    const { promises } = await this.reprise.promises.search({ id: `${orderId(id)}.*`, tags: { "reprise:kind": "sleep" } });
    const closesAt = promises[0]?.timeoutAt;
    if (closesAt !== undefined && Date.now() >= closesAt) {
      throw new EventRefused(`cannot refund order ${id}: its refund window closed at ${new Date(closesAt).toISOString()}`);
    }
  }

  private async promisesOf(id: string): Promise<DurablePromiseView[]> {
    const all: DurablePromiseView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.reprise.promises.search({ id: `${orderId(id)}*`, limit: 100, cursor });
      all.push(...page.promises.filter((p) => p.id === orderId(id) || p.id.startsWith(`${orderId(id)}.`)));
      cursor = page.cursor;
    } while (cursor);
    if (!all.some((p) => p.id === orderId(id))) throw new OrderNotFound(`no order ${id}`);
    return all;
  }
}
