/**
 * Retention (docs/retention.md): a finished execution — its root and every promise whose id is
 * under the root's (`${id}.…`, and `${id}:…` as other SDKs name children), with their tasks,
 * callbacks and listeners — is deleted once its retention has passed.
 *
 *   - When a root settles, it gets a finished-root row: when it settled, and when it may go
 *     (`purgeAt`, from its `reprise:retention` tag or the store's default; none = kept for ever).
 *   - A purge pass takes the due rows (a few per transaction, so it never holds the store for
 *     long) and deletes each execution, children first and the root last: a purge cut short
 *     leaves a finished root that still answers for its id, never children without their root.
 *   - An execution is deleted only when nothing under it is pending: a detached child still
 *     running elsewhere keeps its whole tree (its own steps are under the root's id too). Such a
 *     root is looked at again later, after a delay that grows with each look, at most an hour.
 *
 * Promises outside any root's scope (created by hand, or by a workflow with an id of their own)
 * and schedules are not retention's business: they stay until deleted.
 */
import { isExecutionRoot } from "../../protocol/calls.js";
import type { PromiseRecord } from "../../protocol/records.js";
import type { FinishedRoot } from "../backend.js";
import type { KernelContext } from "./context.js";
import { purgeAtOf } from "../../protocol/retention.js";

/** Writes down that `promise` finished an execution, when it did. Called wherever a promise is written settled. */
export async function noteFinished(ctx: KernelContext, promise: PromiseRecord): Promise<void> {
  if (promise.state === "pending" || !isExecutionRoot(promise)) return;
  const settledAt = promise.settledAt ?? ctx.now;
  const purgeAt = purgeAtOf(promise, settledAt, ctx.retentionMs);
  await ctx.tx.putFinished(purgeAt === undefined ? { id: promise.id, settledAt } : { id: promise.id, settledAt, purgeAt });
}

/** What one purge transaction may do at most. */
export interface PurgeBudget {
  roots: number;
  /** Promises deleted; an execution larger than this is deleted over several transactions. */
  promises: number;
}

export interface PurgeStep {
  /** Executions deleted (their roots included). */
  executions: number;
  /** Promises deleted, roots included. */
  promises: number;
  /** Executions kept because something under them is still pending. */
  kept: number;
  /** The last root this step is done with (deleted or kept), for a caller that pages by settledAt. */
  last?: FinishedRoot;
  /** The budget ran out: more may be due now. */
  more: boolean;
}

/** Due roots (`purgeAt <= now`); a root kept because of pending work is looked at again later. */
export async function purgeDue(ctx: KernelContext, budget: PurgeBudget): Promise<PurgeStep> {
  const due = await ctx.tx.finishedDue(ctx.now, budget.roots);
  return purgeRoots(ctx, due, budget, (root) => ctx.tx.putFinished({ ...root, purgeAt: ctx.now + recheckDelay(root) }));
}

/**
 * Roots settled at or before `settledBy`, whatever their retention (`reprise purge --older-than`),
 * after `after` in (settledAt, id) order; a root kept because of pending work is left as it was.
 */
export async function purgeSettledBy(ctx: KernelContext, settledBy: number, budget: PurgeBudget, after?: FinishedRoot): Promise<PurgeStep> {
  const roots = await ctx.tx.finishedBy(settledBy, budget.roots, after);
  return purgeRoots(ctx, roots, budget, async () => undefined);
}

async function purgeRoots(ctx: KernelContext, roots: readonly FinishedRoot[], budget: PurgeBudget, keep: (root: FinishedRoot) => Promise<void>): Promise<PurgeStep> {
  const step: PurgeStep = { executions: 0, promises: 0, kept: 0, more: roots.length >= budget.roots };
  for (const root of roots) {
    const room = budget.promises - step.promises;
    const outcome = room > 0 ? await purgeExecution(ctx, root.id, room) : { deleted: 0, done: false };
    step.promises += outcome.deleted;
    if (!outcome.done) {
      // Out of budget part-way: the root stays (and stays due) for the next transaction.
      step.more = true;
      break;
    }
    if (outcome.kept) {
      step.kept++;
      await keep(root);
    } else {
      step.executions++;
    }
    step.last = root;
  }
  return step;
}

interface ExecutionOutcome {
  deleted: number;
  /** False when the budget ran out before the root went. */
  done: boolean;
  /** Nothing deleted: something under the root is pending. */
  kept?: boolean;
}

/** Deletes the execution rooted at `id`, children first, unless anything in it is pending. */
async function purgeExecution(ctx: KernelContext, id: string, room: number): Promise<ExecutionOutcome> {
  // Read (and on PostgreSQL locked) first: a request joining the execution meanwhile waits for us.
  const root = await ctx.tx.getPromise(id);
  if (root?.state === "pending") return { deleted: 0, done: true, kept: true };
  const scopes = [`${id}.`, `${id}:`];
  for (const scope of scopes) if (await ctx.tx.hasPendingWithPrefix(scope)) return { deleted: 0, done: true, kept: true };
  let deleted = 0;
  for (const scope of scopes) {
    deleted += await ctx.tx.deleteWithPrefix(scope, room - deleted);
    if (deleted >= room) return { deleted, done: false };
  }
  // Also drops a finished-root row whose promise is already gone.
  await ctx.tx.deletePromise(id);
  return { deleted: root ? deleted + 1 : deleted, done: true };
}

const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;

/** How long a root kept for pending work waits before it is looked at again: its retention, from a second to an hour. */
function recheckDelay(root: FinishedRoot): number {
  const retention = (root.purgeAt ?? root.settledAt) - root.settledAt;
  return Math.min(HOUR, Math.max(SECOND, retention));
}
