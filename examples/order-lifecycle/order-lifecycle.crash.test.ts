/**
 * kill -9 in the middle of a transition: the restarted process finishes the transition without
 * repeating a side effect that was already recorded, and a step cut off mid-way runs again with
 * its keyed insert adding nothing. Orders then carry on through the restarted process.
 */
import { describe, expect, it } from "vitest";
import { ExampleProcess, freshDirPerTest } from "../../test/examples-helpers/example-process.js";
import { baseUrl, getJson, postJson } from "../../test/examples-helpers/http.js";
import { SeededRandom } from "../../test/examples-helpers/seeded-random.js";
import { crashPointsOf, expectedEffects, ORDER_PATHS } from "./order-paths.js";
import { OrderSystems } from "./order-systems.js";
import type { OrderView } from "./order-view.js";

const MAIN = "examples/order-lifecycle/main.ts";
const REFUND_WINDOW_MS = 1_500;

interface Service {
  child: ExampleProcess;
  url: string;
}

describe("order lifecycle survives kill -9 mid-transition", () => {
  const workspace = freshDirPerTest();

  async function startService(crashAt?: string): Promise<Service> {
    const env: Record<string, string> = {
      PORT: "0",
      REFUND_WINDOW_MS: String(REFUND_WINDOW_MS),
      REPRISE_STORE: workspace.dir.file("reprise.db"),
      ORDERS_DB: workspace.dir.file("orders.db"),
    };
    if (crashAt) env.CRASH_AT = crashAt;
    const child = ExampleProcess.start(MAIN, { env });
    return { child, url: baseUrl((await child.waitFor("LISTENING ")).text) };
  }

  /** Sends a request that may never be answered (the service hangs at a crash point): true if it hung. */
  async function sendOrHang(service: Service, path: string): Promise<boolean> {
    const reply = postJson(`${service.url}${path}`).then(
      (answer) => {
        expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
        return false;
      },
      () => true, // the connection died with the process
    );
    return Promise.race([reply, service.child.waitFor("HANG ").then(() => true)]);
  }

  async function view(service: Service, id: string): Promise<OrderView> {
    return (await getJson<OrderView>(`${service.url}/orders/${id}`)).body;
  }

  async function waitUntil(service: Service, id: string, done: (view: OrderView) => boolean): Promise<OrderView> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const current = await view(service, id);
      if (done(current)) return current;
      if (Date.now() > deadline) throw new Error(`order ${id} stuck at ${JSON.stringify(current)}\n${service.child.transcript()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function effects(id: string): Promise<string[]> {
    const systems = OrderSystems.open(workspace.dir.file("orders.db"));
    try {
      return await systems.effectsOf(id);
    } finally {
      await systems.close();
    }
  }

  it("crash inside the shipment step: only that step runs again, one shipment", async () => {
    const first = await startService("after:systems.createShipment");
    await postJson(`${first.url}/orders/o-1`);
    await postJson(`${first.url}/orders/o-1/events/confirm`);
    expect(await sendOrHang(first, "/orders/o-1/events/ship")).toBe(true);
    await first.child.kill();
    expect(await effects("o-1")).toEqual(["o-1:created", "o-1:confirmed", "shipment-o-1"]);

    const second = await startService();
    const shipped = await waitUntil(second, "o-1", (v) => v.state === "shipped" && v.accepts.length > 0);
    expect(shipped.history.map((entry) => entry.leftBy)).toEqual(["confirm", "ship", undefined]);
    expect(second.child.linesStarting("CALL systems.")).toEqual(['CALL systems.createShipment ["o-1"]', 'CALL systems.notify ["o-1","shipped"]']);
    expect(await effects("o-1")).toEqual(["o-1:created", "o-1:confirmed", "o-1:shipped", "shipment-o-1"]);

    await postJson(`${second.url}/orders/o-1/events/deliver`);
    expect((await postJson<OrderView>(`${second.url}/orders/o-1/events/refund`)).body).toMatchObject({ state: "refunded", closed: true });
    expect(await effects("o-1")).toEqual(expectedEffects("o-1", ORDER_PATHS[1]!));
  });

  it("crash after the shipment was recorded: the restart does not ship again", async () => {
    const first = await startService("after:systems.notify@shipped");
    await postJson(`${first.url}/orders/o-2`);
    await postJson(`${first.url}/orders/o-2/events/confirm`);
    expect(await sendOrHang(first, "/orders/o-2/events/ship")).toBe(true);
    await first.child.kill();

    const second = await startService();
    await waitUntil(second, "o-2", (v) => v.state === "shipped" && v.accepts.length > 0);
    expect(second.child.linesStarting("CALL systems.createShipment")).toEqual([]);
    expect(second.child.linesStarting("CALL systems.")).toEqual(['CALL systems.notify ["o-2","shipped"]']);
    expect(await effects("o-2")).toEqual(["o-2:created", "o-2:confirmed", "o-2:shipped", "shipment-o-2"]);
  });

  it("a refused event reaches the restarted process as refused; nothing changes", async () => {
    const first = await startService("before:systems.notify@cancelled");
    await postJson(`${first.url}/orders/o-3`);
    expect(await sendOrHang(first, "/orders/o-3/events/cancel")).toBe(true);
    await first.child.kill();

    const second = await startService();
    const refused = await postJson<{ error: string }>(`${second.url}/orders/o-3/events/ship`);
    expect(refused).toEqual({ status: 409, body: { error: "cannot ship order o-3: it is cancelled; expected one of: refund" } });
    expect(await effects("o-3")).toEqual(["o-3:created", "o-3:cancelled"]);
  });

  it.each([101, 303, 404, 606])("seeded: a random path, a kill at a random side effect (seed %i)", async (seed) => {
    const random = new SeededRandom(seed);
    const path = random.pick(ORDER_PATHS);
    const steps = ["place", ...path.events] as const;
    const crashStep = random.int(0, steps.length - 1);
    const point = random.pick(crashPointsOf(steps[crashStep]!, path));
    const id = `s-${seed}`;
    const label = `${path.states.join(" → ")} crashing at ${point}`;

    const first = await startService(point);
    for (const step of steps.slice(0, crashStep + 1)) {
      const hung = await sendOrHang(first, step === "place" ? `/orders/${id}` : `/orders/${id}/events/${step}`);
      expect(hung, label).toBe(step === steps[crashStep]);
    }
    await first.child.kill();

    const second = await startService();
    await waitUntil(second, id, (v) => v.closed || v.accepts.length > 0);
    for (const step of steps.slice(crashStep + 1)) {
      expect((await postJson(`${second.url}/orders/${id}/events/${step}`)).status, label).toBe(200);
    }
    const final = await waitUntil(second, id, (v) => v.closed);
    expect(final.state, label).toBe(path.final);
    expect(final.history.map((entry) => entry.state), label).toEqual(path.states);
    expect(await effects(id), label).toEqual(expectedEffects(id, path));
  });
});
