/**
 * The JSON the dashboard's own routes answer with. Shared by the server (src/dashboard/*.ts) and
 * the page (src/dashboard/ui/), so both sides agree on every field. Types only: no runtime code.
 */
import type { FlowStat, PromiseState, Tags } from "../protocol/records.js";
import type { NotAwaited } from "../tree/build-tree.js";
import type { TaskView } from "../tree/pickups.js";

export type { NotAwaited, TaskView };

/** One row of the executions list: a root promise, summarized. */
export interface ExecutionSummary {
  id: string;
  state: PromiseState;
  /** The registered function the execution runs, if recorded. */
  func?: string;
  createdAt: number;
  settledAt?: number;
  /** settledAt - createdAt; absent while pending. */
  durationMs?: number;
  timeoutAt: number;
  tags: Tags;
}

/** `GET /api/executions`. */
export interface ExecutionPage {
  executions: ExecutionSummary[];
  /** Pass back as `?cursor=` for the next page; absent on the last page. */
  cursor?: string;
  /** The server's clock when it answered, so the page can count down without trusting its own. */
  now: number;
}

/** A decoded payload, ready to show: pretty JSON (or the raw data), cut at the fold limit. */
export interface ShownValue {
  text: string;
  /** True when `text` is only the first part of a longer value. */
  folded: boolean;
  /** Length of the whole text, folded or not. */
  size: number;
  /** False when the data was not base64 JSON and `text` is the data as stored. */
  json: boolean;
}

/** An error a rejected promise carries, as the SDK codec stores it. */
export interface ErrorView {
  name: string;
  message: string;
  stack?: string;
  /** `name: message` of the error's cause, when it records one. */
  cause?: string;
}

export type ExecutionNodeKind = "root" | "step" | "workflow" | "sleep" | "promise" | "race" | "rpc" | "patch";

/** One durable promise of an execution's call tree, decoded for people. */
export interface ExecutionNode {
  id: string;
  state: PromiseState;
  func?: string;
  kind?: ExecutionNodeKind;
  createdAt: number;
  settledAt?: number;
  timeoutAt: number;
  /** How many times a step ran before its result was stored (`reprise:attempts`). */
  attempts?: number;
  /** The call's arguments (the `args` of a Reprise param), or the whole param. */
  param?: ShownValue;
  /** The result of a resolved promise, or the payload of a rejected one. */
  value?: ShownValue;
  /** The error of a rejected promise, when its value is an encoded error. */
  error?: ErrorView;
  /** Pending, but nothing waits for it any more: its workflow ended, or a race after it settled. */
  notAwaited?: NotAwaited;
  children: ExecutionNode[];
}

/**
 * The last write of an execution's task the server refused (a step's result over the value limit,
 * a child id it cannot store…). A worker releases the task and retries with backoff, so without
 * this the execution would just look stuck.
 */
export interface RefusedWriteView {
  /** `task.fence` or `task.fulfill`. */
  kind: string;
  /** The refused field of the request, e.g. `data.action.data.value.data`. */
  field: string;
  message: string;
  /** When it was last refused. */
  at: number;
}

/** `GET /api/executions/:id`. */
export interface ExecutionDetail {
  execution: ExecutionNode;
  /** True when the execution had more promises than the dashboard loads. */
  truncated: boolean;
  /** The execution's task: its holder, and how often it was picked up (take-overs included). */
  task?: TaskView;
  /** The last refused write of its task, as the serving process saw it. */
  refusedWrite?: RefusedWriteView;
  /**
   * Retention (docs/retention.md), once the execution has finished: when it will be deleted with
   * everything under it, or null when it is kept until purged by hand. Absent while it runs.
   */
  purgeAt?: number | null;
  now: number;
}

/** `GET /api/promises/:id/values`: a promise's payloads, unfolded. */
export interface PromiseValues {
  id: string;
  param?: ShownValue;
  value?: ShownValue;
}

/**
 * `POST /api/executions/:id/cancel` (body `{ reason? }`): what the request did (src/engine/cancel-request.ts).
 * A second cancel, or one of a finished execution, changes nothing and says so (200, not an error).
 */
export interface CancelAnswer {
  id: string;
  outcome: "requested" | "already-requested" | "finished" | "cancelled";
  /** How the execution had ended, for "finished". */
  state?: PromiseState;
  message: string;
}

/** `GET /api/flow`: flow control per function (docs/flow-control.md): its limits, executions running and queued. */
export interface FlowPage {
  flows: FlowStat[];
}
