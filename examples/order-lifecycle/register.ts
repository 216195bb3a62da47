/**
 * The order lifecycle's registration, as `reprise check --module` loads it: a module exporting
 * `register(reprise)`. Checking a deploy needs only the workflow (no step runs in a check); an
 * application passes its side-effect systems too, as main.ts sets them.
 *
 *   reprise check --store ./order-lifecycle.db --module examples/order-lifecycle/register.ts
 */
import type { Reprise } from "../../src/index.js";
import { orderLifecycle } from "./order-lifecycle.js";
import type { OrderSystems } from "./order-systems.js";

export function register(reprise: Reprise, systems?: OrderSystems): void {
  reprise.register("orderLifecycle", orderLifecycle);
  if (systems) reprise.setDependency("orderSystems", systems);
}
