/**
 * The order service:  tsx examples/order-lifecycle/main.ts
 *
 * Environment: PORT (default 3003; 0 = any free port), REFUND_WINDOW_MS (default 14 days),
 * REPRISE_STORE (default ./order-lifecycle.db), ORDERS_DB (the side-effect tables, default
 * ./orders.db). Prints `LISTENING <port>` and CALL/DONE for every side effect.
 */
import { Reprise } from "../../src/index.js";
import { instrument, say, storeFor } from "../shared/crash-points.js";
import { orderLifecycle } from "./order-lifecycle.js";
import { OrderService } from "./order-service.js";
import { OrderSystems } from "./order-systems.js";
import { serveOrders } from "./server.js";

const refundWindowMs = Number(process.env.REFUND_WINDOW_MS ?? 14 * 24 * 60 * 60 * 1000);
const systems = OrderSystems.open(process.env.ORDERS_DB ?? "./orders.db");
const reprise = new Reprise({ store: await storeFor(process.env.REPRISE_STORE ?? "./order-lifecycle.db") });
reprise.setDependency("orderSystems", instrument("systems", systems));
reprise.register("orderLifecycle", orderLifecycle);

const server = await serveOrders(new OrderService(reprise, { refundWindowMs }), Number(process.env.PORT ?? 3003));
say(`LISTENING ${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void server.close().then(() => reprise.stop()).then(() => systems.close()).finally(() => process.exit(0));
  });
}
