/** `reprise limits`: flow control's view, per function: its limits, and how many run and wait (docs/flow-control.md). */
import type { Command } from "commander";
import type { FlowStat } from "../../protocol/records.js";
import { contextOf } from "../context.js";
import { columns, show } from "../output.js";
import { parseNonNegativeInteger } from "../parse-args.js";

export function registerLimits(program: Command): void {
  program
    .command("limits")
    .description("flow control: per function, its declared limits and its executions running and queued")
    .option("--queued", "only functions with executions waiting for room")
    .option("--limit <n>", "at most this many functions (1..1000)", parseNonNegativeInteger("--limit", 1000))
    .option("--remove <func>", "remove the declared limits of a function of --group (workers declare again when they start)")
    .option("--group <group>", "the worker group of --remove", "default")
    .action(async (options: { queued?: boolean; limit?: number; remove?: string; group: string }, command: Command) => {
      const { client, out } = contextOf(command);
      if (options.remove !== undefined) {
        const { replaced } = await client.request("reprise.declare_limits", { group: options.group, pid: "reprise-cli", functions: [{ func: options.remove }] });
        show(out, { removed: replaced }, () =>
          replaced.length === 0 ? `no limits were declared for ${options.remove} in group ${options.group}` : `removed the limits of ${options.remove} in group ${options.group}`,
        );
        return;
      }
      const { flows } = await client.request("reprise.flow_stats", { limit: options.limit });
      const shown = options.queued ? flows.filter((flow) => flow.queued > 0) : flows;
      show(out, { flows: shown }, () => listFlows(shown, options.queued === true));
    });
}

function listFlows(flows: FlowStat[], queuedOnly: boolean): string {
  if (flows.length === 0) return queuedOnly ? "no executions queued by flow control" : "no flow limits declared";
  const header = ["GROUP", "FUNCTION", "CONCURRENCY", "RATE", "PRIORITY", "RUNNING", "QUEUED", "KEYS"];
  const rows = flows.map((flow) => [
    flow.group,
    flow.func,
    flow.limits?.concurrency === undefined ? "-" : String(flow.limits.concurrency),
    flow.limits?.rateLimit === undefined ? "-" : `${flow.limits.rateLimit.limit}/${flow.limits.rateLimit.periodMs}ms`,
    flow.limits?.priority === undefined ? "-" : String(flow.limits.priority),
    String(flow.running),
    String(flow.queued),
    String(flow.keys),
  ]);
  return columns([header, ...rows]);
}
