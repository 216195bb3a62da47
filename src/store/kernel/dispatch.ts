/** Which transition answers which request kind. */
import type { RequestKind, RequestOf } from "../../protocol/requests.js";
import type { KernelContext } from "./context.js";
import type { Outcome } from "./outcome.js";
import { createPromise, getPromise, registerCallback, registerListener, searchPromises, settle } from "./promises.js";
import { declareLimits, flowStats } from "./flow-requests.js";
import { takeOver, taskHolders } from "./take-over.js";
import { createSchedule, deleteSchedule, getSchedule, searchSchedules } from "./schedules.js";
import {
  acquireTask,
  continueTask,
  createTask,
  fenceTask,
  fulfillTask,
  getTask,
  haltTask,
  heartbeatTasks,
  releaseTask,
  searchTasks,
  suspendTask,
} from "./tasks.js";

type Transition<K extends RequestKind> = (ctx: KernelContext, req: RequestOf<K>) => Promise<Outcome<K>>;

const TRANSITIONS: { [K in RequestKind]: Transition<K> } = {
  "promise.get": getPromise,
  "promise.create": createPromise,
  "promise.settle": settle,
  "promise.register_callback": registerCallback,
  "promise.register_listener": registerListener,
  "promise.search": searchPromises,
  "task.get": getTask,
  "task.create": createTask,
  "task.acquire": acquireTask,
  "task.release": releaseTask,
  "task.suspend": suspendTask,
  "task.halt": haltTask,
  "task.continue": continueTask,
  "task.fulfill": fulfillTask,
  "task.fence": fenceTask,
  "task.heartbeat": heartbeatTasks,
  "task.search": searchTasks,
  "schedule.get": getSchedule,
  "schedule.create": createSchedule,
  "schedule.delete": deleteSchedule,
  "schedule.search": searchSchedules,
  "reprise.declare_limits": declareLimits,
  "reprise.flow_stats": flowStats,
  "reprise.holders": taskHolders,
  "reprise.take_over": takeOver,
};

/** Runs the transition for `req`, which has passed validation. */
export function dispatch<K extends RequestKind>(ctx: KernelContext, req: RequestOf<K>): Promise<Outcome<K>> {
  // TypeScript cannot correlate the table entry with the request's kind; the table's type does.
  const transition = TRANSITIONS[req.kind as K] as Transition<K>;
  return transition(ctx, req);
}
