/** Request kinds that change nothing, so they cannot move the next deadline the ticker waits for. */
import type { RequestKind } from "../protocol/requests.js";

export const READ_KINDS: ReadonlySet<RequestKind> = new Set(["promise.get", "promise.search", "task.get", "task.search", "schedule.get", "schedule.search", "reprise.flow_stats"]);
