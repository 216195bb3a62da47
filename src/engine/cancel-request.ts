/**
 * Cancelling an execution from outside it (`reprise.cancel`, `reprise cancel`, the dashboard) or
 * from its parent (an rpc'd child). Only Resonate protocol requests, so it works embedded, against
 * any server, and reaches an execution wherever it is:
 *
 *   1. `${id}.cancel` is created (pending; its param is the reason): the durable request, written
 *      before anything is acknowledged. It lives under the execution's id, so every later replay
 *      finds it in the history it is given.
 *   2. A callback from it to the execution: settling it wakes the execution's task if it is
 *      suspended, as any awaited promise does (and is noted on a task that is running).
 *   3. If a process holds the task now, a listener sends that process an `unblock` when it
 *      settles: there, running steps see their `ctx.signal` abort at once.
 *   4. It is settled (resolved): 2 and 3 fire.
 *
 * A crash part-way leaves the request pending, which counts as a request all the same; calling
 * again finishes the sequence. An execution of another SDK (no `reprise:kind` tag) knows nothing
 * of requests: its promise is settled rejected_canceled, which is what the protocol's cancel is.
 */
import { CANCEL_KIND, cancelRequestId, encodeReason } from "./cancellation.js";
import { ConflictError, StoreError } from "./errors.js";
import type { PromiseRecord, PromiseState } from "../protocol/records.js";
import { action, type PromiseCreateReq, type PromiseSettleReq, type RequestKind, type RequestOf, type Response } from "../protocol/requests.js";
import { ADDRESS, parseAddress, TAG } from "../protocol/tags.js";

/** Sends one protocol request and answers whatever the store said. */
export type Send = <K extends RequestKind>(kind: K, data: RequestOf<K>["data"]) => Promise<Response<K>>;

/** What `reprise.cancel` did. A second cancel, or one of a finished execution, changes nothing and says so. */
export type CancelResult =
  /** The request is recorded and the execution woken: it runs its cleanup and ends rejected_canceled. */
  | { id: string; outcome: "requested"; message: string }
  /** A request was recorded before: nothing more to do. */
  | { id: string; outcome: "already-requested"; message: string }
  /** The execution had finished: nothing to cancel. `state` is how it ended. */
  | { id: string; outcome: "finished"; state: PromiseState; message: string }
  /** An execution of another SDK: its promise is now rejected_canceled, as the protocol cancels. */
  | { id: string; outcome: "cancelled"; message: string };

export interface CancelOptions {
  reason?: string;
  /** Writes the request (create, then settle); the default sends them as they are. A parent fences them with its task. */
  write?: (request: PromiseCreateReq | PromiseSettleReq) => Promise<PromiseRecord>;
  /** Tags the request with who asked (a parent execution): its replays recognise the request as theirs. */
  origin?: string;
}

export async function cancelExecution(send: Send, id: string, options: CancelOptions = {}): Promise<CancelResult> {
  const write = options.write ?? ((request) => plainWrite(send, request));
  const root = await promiseOf(send, id);
  // A parent records its request even when the child has just finished: the request is what
  // tells the parent's later replays that it threw at that call (docs/cancellation.md).
  if (root.state !== "pending" && options.origin === undefined) return finished(root);
  if (root.tags[TAG.target] === undefined) {
    throw new ConflictError(`"${id}" is not an execution (a step, a child workflow, a timer or an external promise); cancel the execution it belongs to`);
  }
  const requestId = cancelRequestId(id);
  // Global scope: a listener may be registered on it (protocol: only such promises are awaitable from outside).
  const tags: Record<string, string> = { [TAG.kind]: CANCEL_KIND, [TAG.func]: CANCEL_KIND, [TAG.parent]: id, [TAG.scope]: "global", ...(options.origin ? { [TAG.origin]: options.origin } : {}) };
  const create = () => write(action("promise.create", { id: requestId, timeoutAt: root.timeoutAt, param: encodeReason(options.reason), tags }));
  if (options.origin !== undefined && (root.state !== "pending" || root.tags[TAG.kind] === undefined)) await create();
  if (root.state !== "pending") return finished(root);
  if (root.tags[TAG.kind] === undefined) {
    const settled = await write(action("promise.settle", { id, state: "rejected_canceled", value: encodeReason(options.reason) }));
    if (settled.state !== "rejected_canceled") return finished(settled);
    return { id, outcome: "cancelled", message: `${id} is rejected_canceled (an execution of another SDK: its promise is cancelled as the protocol does)` };
  }

  const request = await create();
  if (request.state !== "pending") {
    return { id, outcome: "already-requested", message: `${id} was already asked to cancel; it ends rejected_canceled once its cleanup has run` };
  }
  await expectOk(send, "promise.register_callback", { awaited: requestId, awaiter: id });
  await tellHolder(send, root, requestId);
  await write(action("promise.settle", { id: requestId, state: "resolved", value: {} }));
  return { id, outcome: "requested", message: `${id} is asked to cancel: it runs its cleanup, then ends rejected_canceled` };
}

/** The process that holds the execution's task now, if any, is told when the request settles. */
async function tellHolder(send: Send, root: PromiseRecord, requestId: string): Promise<void> {
  const answer = await send("task.get", { id: root.id });
  if (answer.head.status !== 200) return;
  const { task } = answer.data as { task: { state: string; pid?: string } };
  const group = parseAddress(root.tags[TAG.target] ?? "")?.group;
  if (task.state !== "acquired" || task.pid === undefined || group === undefined) return;
  await expectOk(send, "promise.register_listener", { awaited: requestId, address: ADDRESS.unicast(group, task.pid) });
}

function finished(root: PromiseRecord): CancelResult {
  return { id: root.id, outcome: "finished", state: root.state, message: `${root.id} had already finished (${root.state}); nothing to cancel` };
}

async function promiseOf(send: Send, id: string): Promise<PromiseRecord> {
  const answer = await send("promise.get", { id });
  if (answer.head.status === 404) throw new StoreError(404, `no execution with id ${JSON.stringify(id)}`);
  if (answer.head.status !== 200) throw new StoreError(answer.head.status, `promise.get ${id} failed: ${String(answer.data)}`);
  return (answer.data as { promise: PromiseRecord }).promise;
}

async function plainWrite(send: Send, request: PromiseCreateReq | PromiseSettleReq): Promise<PromiseRecord> {
  const answer = await send(request.kind, request.data as never);
  if (answer.head.status !== 200) throw new StoreError(answer.head.status, `${request.kind} ${request.data.id} failed: ${String(answer.data)}`);
  return (answer.data as { promise: PromiseRecord }).promise;
}

async function expectOk<K extends RequestKind>(send: Send, kind: K, data: RequestOf<K>["data"]): Promise<void> {
  const answer = await send(kind, data);
  if (answer.head.status !== 200) throw new StoreError(answer.head.status, `${kind} failed: ${String(answer.data)}`);
}
