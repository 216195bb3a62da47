/**
 * What a storage engine supplies to the protocol kernel: atomic transactions over rows, indexes
 * and the few queries the rules need. No protocol rule lives behind this interface.
 */
import type { Envelope } from "../protocol/messages.js";
import type { FlowDeclaration, PromiseRecord, PromiseState, ScheduleRecord, Tags, TaskRecord, TaskState } from "../protocol/records.js";

export interface PromiseQuery {
  /** Glob over ids: `*` matches any run of characters. */
  idPattern?: string;
  state?: PromiseState;
  /** Every tag given must match exactly. */
  tags?: Tags;
  limit: number;
  /** Opaque position returned by the previous page. */
  after?: string;
}

export interface TaskQuery {
  state?: TaskState;
  /** Only the tasks this process id holds (acquired by it). */
  pid?: string;
  limit: number;
  after?: string;
}

export interface ScheduleQuery {
  tags?: Tags;
  limit: number;
  after?: string;
}

/**
 * Flow control's state for one function and flow key (kernel/flow.ts): how many of its executions
 * hold a slot, and when the last ones started (for its rate limit).
 */
export interface FlowRow {
  /** `flowRowId(group, func, key)`. */
  id: string;
  group: string;
  func: string;
  key: string;
  /** Acquired tasks counted in this row. */
  running: number;
  /** Start times (ms), oldest first, of at most the rate limit's last starts within its period. */
  starts: number[];
  /** When the tick should dispatch this row's queue (a rate window opens, or a dispatch is re-checked). */
  wakeAt?: number;
}

/** A pending task waiting for its flow row to have room. Queues are ordered by `queueOrder`. */
export interface QueuedTask {
  taskId: string;
  flowId: string;
  group: string;
  func: string;
  priority: number;
  /** The execution's creation time: among equal priorities, the oldest starts first. */
  createdAt: number;
  /** The task's version and its promise's target: what an `execute` for it carries and where it goes. */
  version: number;
  address: string;
  /** Order of arrival among equal priority and age; assigned by the backend on insert. */
  seq?: number;
}

/** Per function: executions running (summed over its rows) and queued. */
export interface FlowCounts {
  group: string;
  func: string;
  running: number;
  queued: number;
  keys: number;
}

/**
 * A finished execution root, kept for retention (kernel/retention.ts, docs/retention.md): when it
 * settled, and when it may be deleted with everything under it (absent: kept until purged by hand).
 */
export interface FinishedRoot {
  id: string;
  settledAt: number;
  purgeAt?: number;
}

/**
 * Reads and writes of promises and tasks by id that complete at once, for a backend whose
 * transaction runs in this thread (SQLite). They see and make the same rows as the Tx's own.
 */
export interface SyncRows {
  getPromise(id: string): PromiseRecord | undefined;
  getTask(id: string): TaskRecord | undefined;
  /**
   * Inserts `promise` unless a promise with its id exists, and says whether it did: the insert is
   * the existence check (no read of a row that is nearly always missing), and a found one is left as it is.
   */
  insertNewPromise(promise: PromiseRecord): boolean;
}

/** What `Backend.transactionNow` answers when it cannot begin at once. */
export const NOT_NOW: unique symbol = Symbol("not now");

/** One transaction. Reads see the transaction's own writes; reads of single rows lock them (Postgres). */
export interface Tx {
  getPromise(id: string): Promise<PromiseRecord | undefined>;
  /**
   * The promises among `ids` that exist, in id order, locked as `getPromise` locks one (PostgreSQL:
   * one statement, rows locked in id order so that concurrent batches cannot deadlock).
   */
  getPromises(ids: readonly string[]): Promise<PromiseRecord[]>;
  insertPromise(promise: PromiseRecord): Promise<void>;
  updatePromise(promise: PromiseRecord): Promise<void>;
  /** Ordered by id; `after` is an id. */
  searchPromises(query: PromiseQuery): Promise<PromiseRecord[]>;
  /** Pending promises whose timeoutAt <= now, earliest first. */
  duePromises(now: number, limit: number): Promise<PromiseRecord[]>;
  /** Promises whose id starts with `${id}.` — the children of an execution — after `after` if given. Ordered by id. */
  promisesUnder(prefix: string, limit: number, after?: string): Promise<PromiseRecord[]>;
  /**
   * For each of `ids`, its first `limit` children as `promisesUnder(id, limit)` reads them: one
   * list per id, in the order of `ids`. A take-over reads a page of executions' histories with it
   * (SQLite: in one statement instead of one per execution).
   */
  promisesUnderEach(ids: readonly string[], limit: number): Promise<PromiseRecord[][]>;

  /** Idempotent: awaiter waits for awaited to settle. */
  addCallback(awaited: string, awaiter: string): Promise<void>;
  /** Returns the awaiters of `awaited` and removes those callbacks. */
  takeCallbacks(awaited: string): Promise<string[]>;
  /** Removes every callback whose awaiter is `awaiter` (its task is fulfilled). */
  deleteCallbacksOf(awaiter: string): Promise<void>;
  /** Idempotent: address is told (unblock) when awaited settles. */
  addListener(awaited: string, address: string): Promise<void>;
  takeListeners(awaited: string): Promise<string[]>;

  getTask(id: string): Promise<TaskRecord | undefined>;
  /** The tasks among `ids` that exist, in id order, locked as `getTask` locks one. */
  getTasks(ids: readonly string[]): Promise<TaskRecord[]>;
  /** Insert or replace. `expiresAt` is indexed. */
  putTask(task: TaskRecord): Promise<void>;
  /** Ordered by id; `after` is an id. */
  searchTasks(query: TaskQuery): Promise<TaskRecord[]>;
  /** Pending or acquired tasks whose expiresAt <= now, earliest first. */
  dueTasks(now: number, limit: number): Promise<TaskRecord[]>;
  /** The distinct pids of acquired tasks, ordered as ids are, after `after` if given. */
  taskHolders(limit: number, after?: string): Promise<string[]>;

  getSchedule(id: string): Promise<ScheduleRecord | undefined>;
  putSchedule(schedule: ScheduleRecord): Promise<void>;
  deleteSchedule(id: string): Promise<void>;
  searchSchedules(query: ScheduleQuery): Promise<ScheduleRecord[]>;
  /** Schedules whose nextRunAt <= now, earliest first. */
  dueSchedules(now: number, limit: number): Promise<ScheduleRecord[]>;

  /** Every declaration of flow limits (they are few: one per function that has limits). */
  getFlowLimits(): Promise<FlowDeclaration[]>;
  getFlowLimit(group: string, func: string): Promise<FlowDeclaration | undefined>;
  /** Insert or replace the declaration of (group, func). */
  putFlowLimit(declaration: FlowDeclaration): Promise<void>;
  deleteFlowLimit(group: string, func: string): Promise<void>;
  /** The row of (group, func, key), made empty if missing, locked for this transaction (PostgreSQL). */
  lockFlowRow(group: string, func: string, key: string): Promise<FlowRow>;
  /** Writes a row read by `lockFlowRow`. */
  putFlowRow(row: FlowRow): Promise<void>;
  /** Deletes a row read by `lockFlowRow` (nothing running, queued or in its rate window). */
  deleteFlowRow(id: string): Promise<void>;
  /** Rows whose wakeAt <= now, earliest first (PostgreSQL: locked, skipping rows locked elsewhere). */
  dueFlowRows(now: number, limit: number): Promise<FlowRow[]>;
  /** Queues a task, or updates its entry (keeping its place among equals). */
  queueTask(entry: QueuedTask): Promise<void>;
  /** Removes the task's entry; false if it had none. */
  unqueueTask(taskId: string): Promise<boolean>;
  /**
   * How many entries of `flowId` other than the task's own come before it in queue order (counting
   * at most `limit`): a task already queued keeps its place among equals, a new one comes after them.
   */
  queuedAhead(flowId: string, entry: Pick<QueuedTask, "taskId" | "priority" | "createdAt">, limit: number): Promise<number>;
  /** The first `limit` entries of `flowId` in queue order: highest priority, then oldest, then first queued. */
  queueHeads(flowId: string, limit: number): Promise<QueuedTask[]>;
  /** Running and queued executions per function, at most `limit` functions, ordered by group and func. */
  flowCounts(limit: number): Promise<FlowCounts[]>;

  /** min(pending promise timeoutAt, task expiresAt, schedule nextRunAt, flow row wakeAt), if any. */
  nextDeadline(): Promise<number | undefined>;

  // Retention. Finished roots are rows of their own, written when a root settles and read only
  // by the purge, so the hot path pays one small insert per execution and no index on promises.

  /** Insert or replace. */
  putFinished(root: FinishedRoot): Promise<void>;
  getFinished(id: string): Promise<FinishedRoot | undefined>;
  /**
   * Finished roots whose purgeAt <= now, earliest first. PostgreSQL locks them and skips those
   * another transaction holds, so replicas purging at once take disjoint roots.
   */
  finishedDue(now: number, limit: number): Promise<FinishedRoot[]>;
  /**
   * Finished roots settled at or before `settledBy`, ordered by (settledAt, id), after `after` when
   * given; locked and skipped as `finishedDue`.
   */
  finishedBy(settledBy: number, limit: number, after?: Pick<FinishedRoot, "id" | "settledAt">): Promise<FinishedRoot[]>;
  /** Whether any pending promise has an id starting with `prefix` (a literal, not a pattern). */
  hasPendingWithPrefix(prefix: string): Promise<boolean>;
  /**
   * Deletes the first `limit` promises (in id order) whose id starts with `prefix`, with their
   * tasks, their callbacks (as awaited or awaiter), their listeners and their finished-root rows.
   * Returns how many promises it deleted.
   */
  deleteWithPrefix(prefix: string, limit: number): Promise<number>;
  /** Deletes promise `id` likewise; its finished-root row goes even when the promise is gone. */
  deletePromise(id: string): Promise<void>;

  /**
   * Optional hint, given before the reads: these promises are about to be created, so most likely
   * missing. A backend deciding from rows it remembers (PostgreSQL, speculation.ts) may take them
   * as missing without reading them, and checks at commit that they were.
   */
  expectNew?(promiseIds: readonly string[]): void;

  /** Present when the backend answers by id at once (SQLite): what a transition may use without awaiting. */
  readonly syncRows?: SyncRows;
}

/**
 * How a speculative transaction ended: committed in its one statement; stale (a row it decided
 * from had changed, or another transaction inserted a row it created: nothing was written, and it
 * ran again the ordinary way); or missed (it needed more than the rows the server knows: nothing
 * was sent, and it ran the ordinary way).
 */
export type SpeculationOutcome = "committed" | "stale" | "missed";

export interface TransactionOptions {
  /**
   * The caller expects no company: the last transactions it asked for arrived alone (a workflow
   * recording its steps one after another). A backend that waits a turn of the event loop for
   * other transactions to join may start this one as soon as the current turn's callbacks have
   * run instead. Only a hint: the outcome is the same either way.
   */
  alone?: boolean;
  /**
   * The work reads promises and tasks by id and writes rows, and has no effect outside the
   * transaction. A backend may first run it on the rows it remembers instead of reading them, and
   * send its writes with a check that those rows are unchanged, in one round trip (PostgreSQL,
   * speculation.ts); when they changed, or the work needs anything else, it runs the work again
   * the ordinary way. The outcome is the same either way.
   */
  speculative?: boolean;
}

export interface Backend {
  /**
   * Runs `work` atomically: all its writes commit together, durably, before the returned promise
   * resolves; if `work` throws, none of them happen. Concurrent calls are isolated from each
   * other (serialized, or row-locked). A backend may commit several transactions together
   * (group commit) as long as each one's outcome is unchanged.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Optional, for a backend whose transactions run in this thread (SQLite): runs `work` at once
   * in a transaction of its own and commits it before returning, when nothing else of this
   * backend is queued or open; `work` answering undefined writes nothing (rolled back). Answers
   * NOT_NOW, without running `work`, when it cannot begin at once. A lone caller saves the
   * queue's turns and promises; one that may have company uses `transaction`.
   */
  transactionNow?<T>(work: (tx: Tx) => T | undefined): T | undefined | typeof NOT_NOW;
  /**
   * Optional fan-out of committed messages to every process sharing this backend (Postgres
   * LISTEN/NOTIFY). Without it, messages reach only this process's listeners.
   */
  broadcast?: {
    publish(envelopes: Envelope[]): Promise<void>;
    subscribe(listener: (envelope: Envelope) => void): void;
  };
  /**
   * Optional, for a backend whose processes do not hear each other's messages (SQLite): calls
   * `listener` soon after another connection (another process sharing the file) has committed,
   * so this process can look for what changed. Returns the unsubscribe.
   */
  onOtherCommits?(listener: () => void): () => void;
  /**
   * Optional, for a backend that speculates (PostgreSQL, TransactionOptions.speculative): calls
   * `listener` with how each speculative transaction ended. Returns the unsubscribe.
   */
  onSpeculation?(listener: (outcome: SpeculationOutcome) => void): () => void;
  close(): Promise<void>;
}
