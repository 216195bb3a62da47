/**
 * The order lifecycle under crashEveryStep (reprise/testing): every path through the machine
 * (order-paths.ts), with a crash before and after every transition step's checkpoint, each run
 * compared with a clean one, on the real side-effect tables (a SQLite file per run). The events
 * are durable promises the outside settles, so `drive` sends the path's events in every run, as
 * OrderService.send does; the refund window closes in virtual time. With a warehouse whose
 * shipment write is not keyed, the report names createShipment.
 */
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { crashEveryStep, type CrashEveryStepOptions, type TestReprise } from "../../src/testing/index.js";
import { readRows } from "../../test/examples-helpers/sqlite-rows.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { orderId, orderLifecycle, waitingId, type EventRequest } from "./order-lifecycle.js";
import { expectedEffects, ORDER_PATHS, type OrderPath } from "./order-paths.js";
import { OrderSystems } from "./order-systems.js";

const ID = "o-1";
const REFUND_WINDOW_MS = 60 * 60_000;
/** The systems stamp rows with the wall clock: frozen, so every run records the same values. */
const NOW = Date.UTC(2030, 0, 1);

let dir: TempDir;
let round = 0;
let file = "";
let systems: OrderSystems | undefined;
let plantedDb: Database.Database | undefined;
/** What the workflow's steps reach as the `orderSystems` dependency in this run. */
let dependency: Pick<OrderSystems, "notify" | "createShipment" | "refund"> | undefined;

/** Fresh side-effect tables for each run: the world as it was before. */
async function reset(planted: boolean): Promise<void> {
  await systems?.close();
  plantedDb?.close();
  plantedDb = undefined;
  file = dir.file(`orders-${++round}.db`);
  systems = OrderSystems.open(file);
  dependency = planted ? doubleShippingSystems() : systems;
}

/**
 * The planted fault: the real systems, but the warehouse books a shipment per call (no key), as
 * a shipping API without an idempotency key would.
 */
function doubleShippingSystems(): Pick<OrderSystems, "notify" | "createShipment" | "refund"> {
  const real = systems!;
  plantedDb = new Database(file);
  plantedDb.exec("CREATE TABLE IF NOT EXISTS shipment_requests (order_id TEXT NOT NULL)");
  const db = plantedDb;
  return {
    notify: (id, state) => real.notify(id, state),
    refund: (id) => real.refund(id),
    createShipment: async (id) => {
      db.prepare("INSERT INTO shipment_requests (order_id) VALUES (?)").run(id);
      return `shipment-${id}`;
    },
  };
}

function shipmentRequests(): number {
  const table = readRows(file, "SELECT name FROM sqlite_master WHERE name = 'shipment_requests'");
  return table.length > 0 ? readRows<{ n: number }>(file, "SELECT count(*) AS n FROM shipment_requests")[0]!.n : 0;
}

/** What the order API does for the path's events: each once the order waits in the state that accepts it. */
function sendEvents(path: OrderPath): (test: TestReprise) => Promise<void> {
  return async (test) => {
    for (const [i, event] of path.events.entries()) {
      const waiting = waitingId(ID, path.states[i]!);
      await test.waitForPromise(waiting);
      const request: EventRequest = { event, at: Date.now() };
      await test.resolve(waiting, request);
    }
  };
}

function options(path: OrderPath, planted = false): CrashEveryStepOptions {
  return {
    name: "orderLifecycle",
    id: orderId(ID),
    setup: (reprise) => reprise.setDependency("orderSystems", dependency),
    reset: () => reset(planted),
    observe: async () => ({ effects: await systems!.effectsOf(ID), shipmentRequests: shipmentRequests() }),
    drive: sendEvents(path),
  };
}

/** The transition steps a path records, in order: the notification of each state, the shipment and refund before theirs. */
function stepsOf(path: OrderPath): string[] {
  return path.states.flatMap((state) => [...(state === "shipped" ? ["createShipment"] : []), ...(state === "refunded" ? ["refund"] : []), "notify"]);
}

beforeAll(() => {
  dir = new TempDir("reprise-order-lifecycle-");
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
});

afterAll(async () => {
  vi.useRealTimers();
  await systems?.close();
  plantedDb?.close();
  dir.remove();
});

describe("order lifecycle under crashEveryStep", () => {
  for (const path of ORDER_PATHS) {
    it(`${path.events.join(" → ")}: ${path.final}, each effect once, whatever step the process dies at`, async () => {
      const report = await crashEveryStep(orderLifecycle, [ID, REFUND_WINDOW_MS], options(path));
      expect(report.steps.map((step) => step.func)).toEqual(stepsOf(path));
      expect(report.problems).toEqual([]);
      expect(report.halts).toEqual([]);
      expect(report.reruns).toEqual([]);
      // The last crashed run's world, the same as the clean run's (observe compared them all).
      expect(await systems!.effectsOf(ID)).toEqual(expectedEffects(ID, path));
    });
  }

  it("names createShipment when the warehouse books a shipment per call", async () => {
    const shipped = ORDER_PATHS.find((path) => path.events.join() === "confirm,ship,deliver")!;
    const report = await crashEveryStep(orderLifecycle, [ID, REFUND_WINDOW_MS], options(shipped, true));
    expect(report.problems.map((problem) => [problem.kind, problem.step.func, problem.crash])).toEqual([["non-idempotent", "createShipment", "before-record"]]);
  });
});
