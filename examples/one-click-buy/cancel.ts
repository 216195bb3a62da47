/**
 * Asks to cancel an order from outside the shop's process, straight through the promise store —
 * for instance while the shop is down:  tsx examples/one-click-buy/cancel.ts <orderId>
 *
 * The durable form keeps the request (it is a durable promise now settled) and the shop finds it
 * when it starts again. The seed's form cannot: its window lives in a process's memory.
 * Prints `CANCEL STORED <orderId>` (exit 0) or `CANCEL REFUSED <reason>` (exit 1).
 */
import { Reprise } from "../../src/index.js";
import { say } from "../shared/crash-points.js";
import { BuyService } from "./buy-service.js";

const orderId = process.argv[2];
if (!orderId) {
  console.error("usage: tsx examples/one-click-buy/cancel.ts <orderId>");
  process.exit(2);
}
const reprise = new Reprise({ store: process.env.REPRISE_STORE ?? "./one-click-buy.db" });
try {
  // No window or signals here: this process only settles the promise.
  await new BuyService(reprise, { windowMs: 0 }).cancel(orderId);
  say(`CANCEL STORED ${orderId}`);
} catch (error) {
  say(`CANCEL REFUSED ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await reprise.stop();
}
