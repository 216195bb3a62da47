/**
 * The order HTTP API:
 *   POST /orders/:id                  place an order
 *   POST /orders/:id/events/:event    confirm | ship | deliver | cancel | refund (409 if refused)
 *   GET  /orders/:id                  state, accepted events and history, from the promise tree
 */
import { checkName, HttpError, serve, type Route, type RunningServer } from "../shared/http.js";
import { EventRefused, OrderNotFound, type OrderService } from "./order-service.js";

export function serveOrders(orders: OrderService, port: number): Promise<RunningServer> {
  const routes: Route[] = [
    {
      method: "POST",
      path: "/orders/:id",
      handle: async ({ params }) => ({ status: 201, body: await orders.place(checkName(params.id, "order id")) }),
    },
    {
      method: "POST",
      path: "/orders/:id/events/:event",
      handle: async ({ params }) => ({ body: await answer(() => orders.send(checkName(params.id, "order id"), params.event ?? "")) }),
    },
    {
      method: "GET",
      path: "/orders/:id",
      handle: async ({ params }) => ({ body: await answer(() => orders.view(checkName(params.id, "order id"))) }),
    },
  ];
  return serve(routes, port);
}

async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OrderNotFound) throw new HttpError(404, error.message);
    if (error instanceof EventRefused) throw new HttpError(409, error.message);
    throw error;
  }
}
