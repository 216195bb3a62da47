/**
 * A step that ran in the caller's process, to be recorded already settled: what a `task.fence`
 * around a `promise.create` with a result asks, without the request built around it. The embedded
 * SDK hands it straight to its store (`Store.recordStep`): no head, correlation id or answer
 * envelope to build for the commonest write of all. Anything the store cannot decide at once
 * goes the general way, as the request `stepFenceRequest` builds.
 */
import { PROTOCOL_VERSION, action, type PromiseCreateReq, type Request, type Response, type TaskFenceReq } from "./requests.js";
import type { PromiseRecord } from "./records.js";

export interface StepRecord {
  /** The task the caller holds, and the version it holds it at (the fence). */
  taskId: string;
  version: number;
  /** The create, with its `result`. */
  create: PromiseCreateReq["data"];
  /**
   * The value limit the SDK checked the parts under (sdk/checked-writes.ts); a store with a lower
   * limit validates the request as from any client.
   */
  checkedUnder: number;
}

/** What a step record writes, whether it came as a StepRecord or inside a `task.fence` request. */
export type StepWrite = Pick<StepRecord, "taskId" | "version" | "create">;

/** The step write a `task.fence` request carries (a create with its result: how a server's client sends one), if it does. */
export function fencedStepOf(req: Request): StepWrite | undefined {
  if (req.kind !== "task.fence" || req.data.action.kind !== "promise.create" || req.data.action.data.result === undefined) return undefined;
  return { taskId: req.data.id, version: req.data.version, create: req.data.action.data };
}

/** The record made, or (any other outcome: a replay's repeat, a lease lost, a refusal) the `task.fence` answer. */
export type StepAnswer = PromiseRecord | Response<"task.fence">;

/** Whether the answer is the general path's response rather than the record. */
export function isFenceResponse(answer: StepAnswer): answer is Response<"task.fence"> {
  return "kind" in answer;
}

/** The same write as a protocol request, for the general path. */
export function stepFenceRequest(step: StepRecord): TaskFenceReq {
  return {
    kind: "task.fence",
    head: { corrId: "step", version: PROTOCOL_VERSION },
    data: { id: step.taskId, version: step.version, action: action("promise.create", step.create) },
  };
}
