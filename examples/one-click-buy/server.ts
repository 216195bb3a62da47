/**
 * The shop's HTTP API:
 *   POST /orders/:id/buy      { "form": "durable" | "in-memory" } (default durable) — opens the window
 *   POST /orders/:id/cancel   asks to cancel; answers with the outcome once decided
 *   GET  /orders/:id          form, state, the window's deadline and the purchase log
 */
import { checkName, HttpError, serve, type Route, type RunningServer } from "../shared/http.js";
import { CancelLost, OrderNotFound, TooLate, type BuyForm, type BuyService } from "./buy-service.js";
import type { Purchases } from "./purchases.js";

export function serveShop(shop: BuyService, purchases: Purchases, port: number): Promise<RunningServer> {
  const routes: Route[] = [
    {
      method: "POST",
      path: "/orders/:id/buy",
      handle: async ({ params, body }) => {
        const orderId = checkName(params.id, "order id");
        const form = (body as { form?: unknown }).form ?? "durable";
        if (form !== "durable" && form !== "in-memory") throw new HttpError(400, `form: expected "durable" or "in-memory", got ${JSON.stringify(form)}`);
        await shop.buy(orderId, form as BuyForm);
        return { status: 202, body: { orderId, form, state: "window open" } };
      },
    },
    {
      method: "POST",
      path: "/orders/:id/cancel",
      handle: async ({ params }) => {
        const orderId = checkName(params.id, "order id");
        await answer(() => shop.cancel(orderId));
        const outcome = await shop.outcome(orderId);
        if (outcome.outcome !== "cancelled") throw new HttpError(409, `order ${orderId} was ${outcome.outcome} before the cancel took effect`);
        return { body: outcome };
      },
    },
    {
      method: "GET",
      path: "/orders/:id",
      handle: async ({ params }) => {
        const orderId = checkName(params.id, "order id");
        return { body: { ...(await answer(() => shop.view(orderId))), log: await purchases.entries(orderId) } };
      },
    },
  ];
  return serve(routes, port);
}

async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OrderNotFound) throw new HttpError(404, error.message);
    if (error instanceof TooLate || error instanceof CancelLost) throw new HttpError(409, error.message);
    throw error;
  }
}
