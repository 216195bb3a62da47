/**
 * The dashboard as one call: `registerDashboard(app, { store })` adds the page (/dashboard/, and
 * `/` for browsers) and the JSON routes it reads (/api/...). The page also calls the server's
 * REST routes (/promises, /tasks, /schedules, /workers), so register it on the app that has them.
 */
import type { FastifyInstance } from "fastify";
import type { Store } from "../store/store.js";
import type { RefusedWriteView } from "./api-types.js";
import { registerApiRoutes } from "./api-routes.js";
import { registerAssets } from "./assets.js";

export interface DashboardOptions {
  store: Store;
  /** The built UI folder (default: src/dashboard/ui/dist, found from this module). */
  uiDir?: string;
  /** Characters of a value shown in a tree before it is folded (default 2000). */
  foldLimit?: number;
  /** The last refused write of an execution's task (the server keeps them), shown on its page. */
  refusedWriteOf?: (executionId: string) => RefusedWriteView | undefined;
}

export function registerDashboard(app: FastifyInstance, options: DashboardOptions): void {
  registerAssets(app, { uiDir: options.uiDir });
  registerApiRoutes(app, { store: options.store, foldLimit: options.foldLimit, refusedWriteOf: options.refusedWriteOf });
}
