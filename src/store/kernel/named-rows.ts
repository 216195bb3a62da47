/**
 * The rows a request will read, known from the request alone: a batch reads them all up front
 * (one query per table, locked in id order on PostgreSQL) instead of one round trip per read.
 * Only a hint: a transition still reads whatever else it needs, and an id named here that it never
 * reads costs nothing but a slot in the query.
 */
import type { PromiseCreateReq, Request } from "../../protocol/requests.js";
import { TAG } from "../../protocol/tags.js";

export interface NamedRows {
  promises: string[];
  tasks: string[];
  /** Promises the request creates: most likely missing until it does (Tx `expectNew`). */
  created: string[];
}

/** Adds the ids of the promises and tasks `req` names to `into`. */
export function addNamedRows(req: Request, into: NamedRows): void {
  switch (req.kind) {
    case "promise.get":
      into.promises.push(req.data.id);
      return;
    case "promise.create":
      into.promises.push(req.data.id);
      into.created.push(req.data.id);
      // A create with a target makes a task: a read that finds it missing lets PostgreSQL insert
      // rather than upsert it.
      if (req.data.tags?.[TAG.target] !== undefined) into.tasks.push(req.data.id);
      return;
    case "promise.settle":
      // Settling fulfils the promise's task, if it has one.
      into.promises.push(req.data.id);
      into.tasks.push(req.data.id);
      return;
    case "promise.register_callback":
      into.promises.push(req.data.awaited, req.data.awaiter);
      return;
    case "promise.register_listener":
      into.promises.push(req.data.awaited);
      return;
    case "task.create":
      into.promises.push(req.data.action.data.id);
      into.created.push(req.data.action.data.id);
      into.tasks.push(req.data.action.data.id);
      return;
    case "task.get":
    case "task.acquire":
    case "task.release":
    case "task.halt":
    case "task.continue":
    case "task.fulfill":
      into.promises.push(req.data.id);
      into.tasks.push(req.data.id);
      return;
    case "task.suspend":
      into.promises.push(req.data.id, ...req.data.actions.map((action) => action.data.awaited));
      into.tasks.push(req.data.id);
      return;
    case "task.fence": {
      const { action } = req.data;
      if (action.kind === "promise.create") return addFencedCreateRows(req.data.id, action.data, into);
      // A settle fulfils the action's task.
      into.promises.push(req.data.id, action.data.id);
      into.tasks.push(req.data.id, action.data.id);
      return;
    }
    case "task.heartbeat":
      for (const ref of req.data.tasks) {
        into.promises.push(ref.id);
        into.tasks.push(ref.id);
      }
      return;
    default:
      // Searches and schedules read by query, not by id.
      return;
  }
}

/**
 * A create fenced by task `taskId` (a step's record, a child's creation): the fence's task and its
 * promise, the task a create with a target makes (a step's create has none), and the created id,
 * most likely new (a replay's repeat finds it). `readCreated` false: the caller's insert finds out
 * whether it exists (SyncRows `insertNewPromise`), so it is not read ahead.
 */
export function addFencedCreateRows(taskId: string, create: PromiseCreateReq["data"], into: NamedRows, readCreated = true): void {
  into.promises.push(taskId);
  into.tasks.push(taskId);
  if (create.tags?.[TAG.target] !== undefined) into.tasks.push(create.id);
  if (!readCreated) return;
  into.promises.push(create.id);
  into.created.push(create.id);
}
