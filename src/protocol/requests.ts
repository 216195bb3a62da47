/** Requests and responses of the Resonate protocol (0.11): `POST /` with `{ kind, head, data }`. */
import type { FlowDeclaration, FlowStat, FunctionLimits, PromiseRecord, PromiseState, ScheduleRecord, SettleState, Tags, TaskRecord, TaskState, Value } from "./records.js";

export interface RequestHead {
  corrId: string;
  version: string;
  auth?: string;
}

interface Req<K extends string, D> {
  kind: K;
  head: RequestHead;
  data: D;
}

export type PromiseGetReq = Req<"promise.get", { id: string }>;
export type PromiseCreateReq = Req<
  "promise.create",
  {
    id: string;
    timeoutAt: number;
    param: Value;
    tags: Tags;
    /** Reprise extension: a create with a different key than the stored one is a 409 conflict. */
    idempotencyKey?: string;
    /**
     * Reprise extension: record the promise already settled with this result (a step that ran in
     * the caller's process: its result is all replay needs, so it costs one write, not two). An
     * existing promise is returned unchanged, as for any create.
     */
    result?: CreateResult;
  }
>;

/** The settled state and value of a promise created already settled (`promise.create` with `result`). */
export interface CreateResult {
  state: "resolved" | "rejected";
  value: Value;
  /**
   * When the call began (ms, the caller's clock): the record's `createdAt`, so a step's duration
   * reads as it does for one created pending and settled later. Clamped to the store's now.
   */
  startedAt?: number;
}
export type PromiseSettleReq = Req<
  "promise.settle",
  {
    id: string;
    state: SettleState;
    value: Value;
    /** Reprise extension: settling an already settled promise with a different key is a 409 conflict. */
    idempotencyKey?: string;
  }
>;
export type PromiseRegisterCallbackReq = Req<"promise.register_callback", { awaited: string; awaiter: string }>;
export type PromiseRegisterListenerReq = Req<"promise.register_listener", { awaited: string; address: string }>;
export type PromiseSearchReq = Req<
  "promise.search",
  {
    /** Reprise extension: id pattern, `*` matches any run of characters. */
    id?: string;
    state?: PromiseState;
    tags?: Tags;
    limit?: number;
    cursor?: string;
  }
>;
export type TaskGetReq = Req<"task.get", { id: string }>;
export type TaskCreateReq = Req<"task.create", { pid: string; ttl: number; action: PromiseCreateReq }>;
export type TaskAcquireReq = Req<
  "task.acquire",
  {
    id: string;
    version: number;
    pid: string;
    ttl: number;
    /**
     * Reprise extension: take the task over from this holder, which the caller knows is dead (an
     * embedded process on this host that is gone): one write instead of a release and an acquire.
     * Refused unless the task is acquired by exactly this holder at `version`.
     */
    holder?: string;
  }
>;
export type TaskReleaseReq = Req<"task.release", { id: string; version: number }>;
export type TaskSuspendReq = Req<"task.suspend", { id: string; version: number; actions: PromiseRegisterCallbackReq[] }>;
export type TaskHaltReq = Req<"task.halt", { id: string }>;
export type TaskContinueReq = Req<"task.continue", { id: string }>;
export type TaskFulfillReq = Req<"task.fulfill", { id: string; version: number; action: PromiseSettleReq }>;
export type TaskFenceReq = Req<"task.fence", { id: string; version: number; action: PromiseCreateReq | PromiseSettleReq }>;
export type TaskHeartbeatReq = Req<"task.heartbeat", { pid: string; tasks: { id: string; version: number }[] }>;
export type TaskSearchReq = Req<"task.search", { state?: TaskState; limit?: number; cursor?: string }>;
export type ScheduleGetReq = Req<"schedule.get", { id: string }>;
export type ScheduleCreateReq = Req<
  "schedule.create",
  { id: string; cron: string; promiseId: string; promiseTimeout: number; promiseParam: Value; promiseTags: Tags }
>;
export type ScheduleDeleteReq = Req<"schedule.delete", { id: string }>;
export type ScheduleSearchReq = Req<"schedule.search", { tags?: Tags; limit?: number; cursor?: string }>;

/**
 * Reprise extension (flow control): a worker of `group` declares the limits of its functions. Per
 * function, the latest declaration wins; a function listed without limits has its limits removed.
 * Official Resonate workers never send it, and their executions are never limited.
 */
export type DeclareLimitsReq = Req<"reprise.declare_limits", { group: string; pid: string; functions: FunctionLimits[] }>;
/** Reprise extension (flow control): per function, its limits and how many executions run and wait. */
export type FlowStatsReq = Req<"reprise.flow_stats", { limit?: number }>;
/**
 * Reprise extension (recovery): the pids that hold acquired tasks, ordered, a page at a time. A
 * restarted embedded process asks which of them are dead processes of its host, instead of
 * reading every acquired task.
 */
export type HoldersReq = Req<"reprise.holders", { limit?: number; cursor?: string }>;
/**
 * Reprise extension (recovery): take over, at once, the tasks acquired by `holder`, which the
 * caller knows is dead: each is acquired as `task.acquire` with `holder` would, in one
 * transaction. At most `limit` tasks a request, in id order, after `cursor` when given; a task
 * that cannot be taken (its promise settled meanwhile) is passed over.
 */
export type TakeOverReq = Req<"reprise.take_over", { holder: string; pid: string; ttl: number; limit?: number; cursor?: string }>;

export type Request =
  | PromiseGetReq
  | PromiseCreateReq
  | PromiseSettleReq
  | PromiseRegisterCallbackReq
  | PromiseRegisterListenerReq
  | PromiseSearchReq
  | TaskGetReq
  | TaskCreateReq
  | TaskAcquireReq
  | TaskReleaseReq
  | TaskSuspendReq
  | TaskHaltReq
  | TaskContinueReq
  | TaskFulfillReq
  | TaskFenceReq
  | TaskHeartbeatReq
  | TaskSearchReq
  | ScheduleGetReq
  | ScheduleCreateReq
  | ScheduleDeleteReq
  | ScheduleSearchReq
  | DeclareLimitsReq
  | FlowStatsReq
  | HoldersReq
  | TakeOverReq;

export type RequestKind = Request["kind"];
export type RequestOf<K extends RequestKind> = Extract<Request, { kind: K }>;

/** What a successful (200/300) response carries, per kind. */
export interface SuccessData {
  "promise.get": { promise: PromiseRecord };
  "promise.create": { promise: PromiseRecord };
  "promise.settle": { promise: PromiseRecord };
  "promise.register_callback": { promise: PromiseRecord };
  "promise.register_listener": { promise: PromiseRecord };
  "promise.search": { promises: PromiseRecord[]; cursor?: string };
  "task.get": { task: TaskRecord };
  "task.create": { task: TaskRecord; promise: PromiseRecord; preload: PromiseRecord[]; preloadTruncated?: true };
  "task.acquire": { task: TaskRecord; promise: PromiseRecord; preload: PromiseRecord[]; preloadTruncated?: true };
  "task.release": Record<string, never>;
  /**
   * `preloadTruncated` (Reprise extension, sent only when true): the preload does not hold every
   * promise of the execution (cut at MAX_PRELOAD records or MAX_PAGE_BYTES), so a replay must ask
   * the store for what it does not find there.
   */
  "task.suspend": { preload?: PromiseRecord[]; preloadTruncated?: true };
  "task.halt": Record<string, never>;
  "task.continue": Record<string, never>;
  "task.fulfill": { promise: PromiseRecord };
  "task.fence": { action: Response; preload: PromiseRecord[] };
  "task.heartbeat": Record<string, never>;
  "task.search": { tasks: TaskRecord[]; cursor?: string };
  "schedule.get": { schedule: ScheduleRecord };
  "schedule.create": { schedule: ScheduleRecord };
  "schedule.delete": Record<string, never>;
  "schedule.search": { schedules: ScheduleRecord[]; cursor?: string };
  /** `replaced`: the earlier declarations this one changed (another worker's, or an older deploy's). */
  "reprise.declare_limits": { declared: FlowDeclaration[]; replaced: FlowDeclaration[] };
  "reprise.flow_stats": { flows: FlowStat[] };
  "reprise.holders": { holders: string[]; cursor?: string };
  /** `cursor`: more of the holder's tasks may follow; ask again with it. */
  "reprise.take_over": { taken: Acquired[]; cursor?: string };
}

/** A task acquired, with what its execution needs to replay (as `task.acquire` answers it). */
export type Acquired = SuccessData["task.acquire"];

export const STATUS = {
  ok: 200,
  /** task.suspend: an awaited promise already settled, keep going. */
  redirect: 300,
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  unprocessable: 422,
  tooMany: 429,
  internal: 500,
  notImplemented: 501,
} as const;
export type Status = (typeof STATUS)[keyof typeof STATUS];

export interface ResponseHead {
  corrId: string;
  status: Status;
  version: string;
}

/** A response: `data` is the success record on 200/300 and a message string otherwise. */
export type Response<K extends RequestKind = RequestKind> = {
  [P in K]:
    | { kind: P; head: ResponseHead & { status: 200 | 300 }; data: SuccessData[P] }
    | { kind: P; head: ResponseHead & { status: Exclude<Status, 200 | 300> }; data: string };
}[K];

export const PROTOCOL_VERSION = "2026-04-01";

/** The success data of a response, or an error naming the request kind, status and message. */
export function dataOf<K extends RequestKind>(response: Response<K>): SuccessData[K] {
  const status = response.head.status;
  if (status === 200 || status === 300) return response.data as SuccessData[K];
  throw new Error(`${response.kind} failed with ${status}: ${String(response.data)}`);
}

/** Builds a nested request (an action inside task.create / task.fence / task.fulfill / task.suspend). */
export function action<K extends RequestKind>(kind: K, data: RequestOf<K>["data"]): RequestOf<K> {
  // A nested action travels inside its task request, whose corrId is the one answered.
  return { kind, head: { corrId: "action", version: PROTOCOL_VERSION }, data } as RequestOf<K>;
}
