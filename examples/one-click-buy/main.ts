/**
 * The shop:  tsx examples/one-click-buy/main.ts
 *
 * Environment: PORT (default 3002; 0 = any free port), WINDOW_MS (the cancellation window,
 * default 5000), REPRISE_STORE (default ./one-click-buy.db), PURCHASES_DB (default ./purchases.db).
 * Prints `LISTENING <port>`, CALL/DONE for every purchase write, and `DECIDED <outcome>` per order.
 */
import { Reprise, type Handle } from "../../src/index.js";
import { instrument, say, storeFor, toJson } from "../shared/crash-points.js";
import { BuyService } from "./buy-service.js";
import { CancelSignals, oneClickBuyInMemory } from "./one-click-buy-in-memory.js";
import { oneClickBuy } from "./one-click-buy.js";
import type { BuyOutcome } from "./purchase-steps.js";
import { Purchases } from "./purchases.js";
import { serveShop } from "./server.js";

const windowMs = Number(process.env.WINDOW_MS ?? 5_000);
const purchases = Purchases.open(process.env.PURCHASES_DB ?? "./purchases.db");
const signals = new CancelSignals();
const reprise = new Reprise({ store: await storeFor(process.env.REPRISE_STORE ?? "./one-click-buy.db") });
reprise.setDependency("purchases", instrument("purchases", purchases));
reprise.setDependency("cancelSignals", signals);
reprise.register("oneClickBuy", oneClickBuy);
reprise.register("oneClickBuyInMemory", oneClickBuyInMemory);

// Announce each order's outcome: those bought here and those resumed after a restart.
const announce = (handle: Handle<BuyOutcome>): void => {
  handle.result().then(
    (outcome) => say(`DECIDED ${toJson(outcome)}`),
    (error: unknown) => say(`FAILED ${handle.id} ${String(error)}`),
  );
};
const open = await reprise.promises.search({ id: "buy-*", state: "pending", tags: { "reprise:kind": "root" } });
for (const root of open.promises) announce(await reprise.get<BuyOutcome>(root.id));

const shop = new BuyService(reprise, { windowMs, signals, onPurchase: announce });
const server = await serveShop(shop, purchases, Number(process.env.PORT ?? 3002));
say(`LISTENING ${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void server.close().then(() => reprise.stop()).then(() => purchases.close()).finally(() => process.exit(0));
  });
}
