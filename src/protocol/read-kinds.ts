/**
 * Request kinds that change nothing: they cannot move the next deadline the server's ticker waits
 * for, and the metered store does not time them as writes.
 */
import type { RequestKind } from "./requests.js";

export const READ_KINDS: ReadonlySet<RequestKind> = new Set(["promise.get", "promise.search", "task.get", "task.search", "schedule.get", "schedule.search", "reprise.flow_stats", "reprise.holders"]);
