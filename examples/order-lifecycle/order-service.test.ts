/**
 * Every path through the order machine, and every kind of refused event, run in-process on a
 * SQLite promise store. The state each assertion reads comes from the promise tree alone.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Reprise } from "../../src/index.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { orderLifecycle } from "./order-lifecycle.js";
import { expectedEffects, ORDER_PATHS } from "./order-paths.js";
import { EventRefused, OrderNotFound, OrderService } from "./order-service.js";
import { OrderSystems } from "./order-systems.js";

const REFUND_WINDOW_MS = 1_000;

describe("order lifecycle", () => {
  let dir: TempDir;
  let reprise: Reprise;
  let systems: OrderSystems;
  let orders: OrderService;

  beforeEach(() => {
    dir = new TempDir();
    systems = OrderSystems.open(dir.file("orders.db"));
    reprise = new Reprise({ store: dir.file("reprise.db") });
    reprise.setDependency("orderSystems", systems);
    reprise.register("orderLifecycle", orderLifecycle);
    orders = new OrderService(reprise, { refundWindowMs: REFUND_WINDOW_MS });
  });

  afterEach(async () => {
    await reprise.stop();
    await systems.close();
    dir.remove();
  });

  /** Sends the events, then waits for the order to close (the refund window may have to pass). */
  async function walk(id: string, events: readonly string[]): Promise<Awaited<ReturnType<OrderService["view"]>>> {
    await orders.place(id);
    for (const event of events) await orders.send(id, event);
    return (await reprise.get(`order-${id}`)).result().then(() => orders.view(id));
  }

  it.each(ORDER_PATHS.map((path) => ({ ...path, name: path.states.join(" → ") })))("$name", async (path) => {
    const view = await walk("o", path.events);
    expect(view).toMatchObject({ orderId: "o", state: path.final, closed: true, accepts: [] });
    expect(view.history.map((entry) => entry.state)).toEqual(path.states);
    expect(view.history.flatMap((entry) => (entry.leftBy ? [entry.leftBy] : []))).toEqual(path.events);
    expect(await systems.effectsOf("o")).toEqual(expectedEffects("o", path));
  });

  it("shows each state with what it accepts while the order moves", async () => {
    expect(await orders.place("p")).toMatchObject({ state: "created", accepts: ["confirm", "cancel"], closed: false });
    expect(await orders.send("p", "confirm")).toMatchObject({ state: "confirmed", accepts: ["ship", "cancel"] });
    expect(await orders.send("p", "ship")).toMatchObject({ state: "shipped", accepts: ["deliver"] });
    expect(await orders.send("p", "deliver")).toMatchObject({ state: "delivered", accepts: ["refund"] });
    expect(await orders.send("p", "refund")).toMatchObject({ state: "refunded", accepts: [], closed: true });
  });

  describe("refused events change nothing", () => {
    async function refused(id: string, event: string, message: string): Promise<void> {
      const before = await orders.view(id);
      const effects = await systems.effectsOf(id);
      await expect(orders.send(id, event)).rejects.toThrow(new EventRefused(message));
      expect(await orders.view(id)).toEqual(before);
      expect(await systems.effectsOf(id)).toEqual(effects);
    }

    it("an event the current state does not accept", async () => {
      await orders.place("r1");
      await refused("r1", "ship", "cannot ship order r1: it is created; expected one of: confirm, cancel");
      await orders.send("r1", "confirm");
      await refused("r1", "deliver", "cannot deliver order r1: it is confirmed; expected one of: ship, cancel");
      await orders.send("r1", "ship");
      await refused("r1", "cancel", "cannot cancel order r1: it is shipped; expected one of: deliver");
      await refused("r1", "confirm", "cannot confirm order r1: it is shipped; expected one of: deliver");
    });

    it("shipping a cancelled order", async () => {
      await orders.place("r2");
      await orders.send("r2", "cancel");
      await refused("r2", "ship", "cannot ship order r2: it is cancelled; expected one of: refund");
    });

    it("anything once the order is closed", async () => {
      await walk("r3", ["cancel", "refund"]);
      await refused("r3", "refund", "cannot refund order r3: it is refunded; it accepts no more events");
      await refused("r3", "ship", "cannot ship order r3: it is refunded; it accepts no more events");
    });

    it("a refund after the refund window closed", async () => {
      await walk("r4", ["confirm", "ship", "deliver"]);
      await refused("r4", "refund", "cannot refund order r4: it is delivered; it accepts no more events");
    });

    it("an unknown event, and an unknown order", async () => {
      await orders.place("r5");
      await refused("r5", "teleport", 'cannot teleport order r5: "teleport" is not an order event; events are: confirm, ship, deliver, cancel, refund');
      await expect(orders.send("nobody", "confirm")).rejects.toThrow(OrderNotFound);
      await expect(orders.view("nobody")).rejects.toThrow("no order nobody");
    });

    it("two conflicting events at once: exactly one wins, the other is refused by the new state", async () => {
      await orders.place("r6");
      await orders.send("r6", "confirm");
      const results = await Promise.allSettled([orders.send("r6", "ship"), orders.send("r6", "cancel")]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const refusal = results.find((result) => result.status === "rejected")?.reason as Error;
      expect(refusal).toBeInstanceOf(EventRefused);
      expect(refusal.message).toMatch(/^cannot (ship order r6: it is cancelled; expected one of: refund|cancel order r6: it is shipped; expected one of: deliver)$/);
      const effects = await systems.effectsOf("r6");
      expect(effects.filter((effect) => effect === "r6:shipped" || effect === "r6:cancelled")).toHaveLength(1);
    });
  });

  it("the same event sent twice at once is one transition", async () => {
    await orders.place("d");
    await Promise.all([orders.send("d", "confirm"), orders.send("d", "confirm")].map((sent) => sent.catch(() => undefined)));
    expect(await systems.effectsOf("d")).toEqual(["d:created", "d:confirmed"]);
    expect((await orders.view("d")).state).toBe("confirmed");
  });
});
