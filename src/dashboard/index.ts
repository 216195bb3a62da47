export { registerDashboard, type DashboardOptions } from "./plugin.js";
export { DASHBOARD_PATH, BUILD_COMMAND } from "./assets.js";
export type * from "./api-types.js";
