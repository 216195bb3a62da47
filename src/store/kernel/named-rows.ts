/**
 * The rows a request will read, known from the request alone: a batch reads them all up front
 * (one query per table, locked in id order on PostgreSQL) instead of one round trip per read.
 * Only a hint: a transition still reads whatever else it needs, and an id named here that it never
 * reads costs nothing but a slot in the query.
 */
import type { Request } from "../../protocol/requests.js";
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
      into.promises.push(req.data.id, action.data.id);
      into.tasks.push(req.data.id);
      // A settle fulfils the action's task; a create with a target makes one (as above). A step's
      // create (no target) has none.
      if (action.kind === "promise.settle" || action.data.tags?.[TAG.target] !== undefined) into.tasks.push(action.data.id);
      // A step recorded for the first time; a replay's repeat finds it.
      if (action.kind === "promise.create") into.created.push(action.data.id);
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
