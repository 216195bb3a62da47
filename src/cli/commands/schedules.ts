/** `reprise schedules create | get | delete | search`. */
import type { Command } from "commander";
import { encodeCall, rootTags } from "../../protocol/calls.js";
import { toAddress } from "../../protocol/tags.js";
import { contextOf } from "../context.js";
import { describeSchedule, listSchedules, show } from "../output.js";
import { collectJson, collectTag, parseCron, parseNonNegativeInteger } from "../parse-args.js";
import { DEFAULT_EXECUTION_TIMEOUT_MS } from "./invoke.js";

interface CreateOptions {
  cron: string;
  func: string;
  arg: unknown[];
  target: string;
  timeout: number;
}

/** Each run's promise id: the schedule id and the run's time, as @resonatehq/sdk names them. */
export const SCHEDULED_PROMISE_ID = "{{.id}}-{{.timestamp}}";

export function registerSchedules(program: Command): void {
  const schedules = program.command("schedules").description("run a function on a cron schedule");

  schedules
    .command("create <id>")
    .description("create a schedule (idempotent: an existing id is returned as it is)")
    .requiredOption("--cron <expr>", "when to run, e.g. '*/5 * * * *'", parseCron)
    .requiredOption("--func <name>", "the registered function to run")
    .option("--arg <json>", "an argument, as JSON (repeat for more)", collectJson, [])
    .option("--target <group>", "the worker group that runs it", "default")
    .option("--timeout <ms>", "how long each run may take", parseNonNegativeInteger("--timeout"), DEFAULT_EXECUTION_TIMEOUT_MS)
    .action(async (id: string, options: CreateOptions, command: Command) => {
      const { client, out } = contextOf(command);
      const { schedule } = await client.request("schedule.create", {
        id,
        cron: options.cron,
        promiseId: SCHEDULED_PROMISE_ID,
        promiseTimeout: options.timeout,
        promiseParam: encodeCall(options.func, options.arg),
        promiseTags: rootTags(options.func, toAddress(options.target)),
      });
      show(out, { schedule }, () => describeSchedule(schedule));
    });

  schedules
    .command("get <id>")
    .description("show a schedule")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const { schedule } = await client.request("schedule.get", { id });
      show(out, { schedule }, () => describeSchedule(schedule));
    });

  schedules
    .command("delete <id>")
    .description("delete a schedule (runs already started are not affected)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      await client.request("schedule.delete", { id });
      show(out, { deleted: id }, () => `deleted schedule ${id}`);
    });

  schedules
    .command("search")
    .description("list schedules")
    .option("--tag <key=value>", "a tag their promises carry (repeat for more)", collectTag)
    .option("--limit <n>", "at most this many (1..1000)", parseNonNegativeInteger("--limit", 1000))
    .option("--cursor <cursor>", "continue from a previous page")
    .action(async (options: { tag?: Record<string, string>; limit?: number; cursor?: string }, command: Command) => {
      const { client, out } = contextOf(command);
      const page = await client.request("schedule.search", { tags: options.tag, limit: options.limit, cursor: options.cursor });
      show(out, page, () => listSchedules(page.schedules) + (page.cursor ? `\nmore: --cursor ${page.cursor}` : ""));
    });
}
