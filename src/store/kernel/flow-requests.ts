/**
 * Flow control's requests (Reprise extensions): workers declare their functions' limits, and
 * anyone may read what each limited function runs and queues. Also the tagging of a new execution
 * as flow-controlled, which decides once, at creation, whether its task counts (kernel/flow.ts).
 */
import type { FlowDeclaration, FlowStat, FunctionLimits, Tags } from "../../protocol/records.js";
import type { DeclareLimitsReq, FlowStatsReq, PromiseCreateReq } from "../../protocol/requests.js";
import { parseAddress, TAG } from "../../protocol/tags.js";
import { DEFAULT_SEARCH_LIMIT } from "../../protocol/limits.js";
import type { KernelContext } from "./context.js";
import { functionKey } from "./declared-limits.js";
import { ok, type Outcome } from "./outcome.js";

/**
 * Per function, the latest declaration wins. A function listed without limits has none from now
 * on. The answer names the declarations this one replaced with different limits (a conflict
 * between workers of the group, or a new deploy), so the declaring worker can log it.
 */
export async function declareLimits(ctx: KernelContext, req: DeclareLimitsReq): Promise<Outcome<"reprise.declare_limits">> {
  const { group, pid, functions } = req.data;
  const declared: FlowDeclaration[] = [];
  const replaced: FlowDeclaration[] = [];
  for (const limits of functions) {
    const existing = await ctx.tx.getFlowLimit(group, limits.func);
    const declaration: FlowDeclaration = { group, pid, declaredAt: ctx.now, ...limitsOf(limits) };
    if (existing && !sameLimits(existing, declaration)) replaced.push(existing);
    if (!hasLimits(declaration)) {
      if (existing) await ctx.tx.deleteFlowLimit(group, limits.func);
      continue;
    }
    await ctx.tx.putFlowLimit(declaration);
    declared.push(declaration);
  }
  ctx.declared.invalidate();
  return ok({ declared, replaced });
}

/** Every function with declared limits or with flow state, its counts summed over its keys. */
export async function flowStats(ctx: KernelContext, req: FlowStatsReq): Promise<Outcome<"reprise.flow_stats">> {
  const limit = req.data.limit ?? DEFAULT_SEARCH_LIMIT;
  const counts = await ctx.tx.flowCounts(limit);
  const byFunction = new Map<string, FlowStat>(counts.map((c) => [functionKey(c.group, c.func), { ...c }]));
  for (const declaration of await ctx.tx.getFlowLimits()) {
    const key = functionKey(declaration.group, declaration.func);
    const limits = limitsOf(declaration);
    const stat = byFunction.get(key);
    if (stat) stat.limits = limits;
    else byFunction.set(key, { group: declaration.group, func: declaration.func, limits, running: 0, queued: 0, keys: 0 });
  }
  const flows = [...byFunction.values()].sort((a, b) => compare(a.group, b.group) || compare(a.func, b.func)).slice(0, limit);
  return ok({ flows });
}

/**
 * The tags a new promise is created with: an execution of a function whose group declared limits
 * is tagged `reprise:flow` (key "" when its caller computed none), so its task counts from now
 * until it finishes, whatever later declarations say. Costs a query only when the declarations
 * this store knows are over a second old.
 */
export async function flowTagged(ctx: KernelContext, data: PromiseCreateReq["data"]): Promise<PromiseCreateReq["data"]> {
  const tags: Tags | undefined = data.tags;
  const target = tags?.[TAG.target];
  const func = tags?.[TAG.func];
  if (target === undefined || func === undefined || tags?.[TAG.flow] !== undefined || data.result !== undefined) return data;
  const group = parseAddress(target)?.group;
  if (group === undefined || !(await ctx.declared.find(ctx.tx, group, func))) return data;
  return { ...data, tags: { ...tags, [TAG.flow]: "" } };
}

function limitsOf(limits: FunctionLimits): FunctionLimits {
  return {
    func: limits.func,
    ...(limits.concurrency === undefined ? {} : { concurrency: limits.concurrency }),
    ...(limits.rateLimit === undefined ? {} : { rateLimit: { limit: limits.rateLimit.limit, periodMs: limits.rateLimit.periodMs } }),
    ...(limits.priority === undefined ? {} : { priority: limits.priority }),
  };
}

function hasLimits(limits: FunctionLimits): boolean {
  return limits.concurrency !== undefined || limits.rateLimit !== undefined || limits.priority !== undefined;
}

function sameLimits(a: FunctionLimits, b: FunctionLimits): boolean {
  return JSON.stringify(limitsOf(a)) === JSON.stringify(limitsOf(b));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
