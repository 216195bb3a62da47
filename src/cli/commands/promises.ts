/** `reprise promises search | resolve | reject | cancel`. */
import type { Command } from "commander";
import { encodeValue } from "../../protocol/codec.js";
import { PROMISE_STATES, type PromiseRecord, type PromiseState, type SettleState } from "../../protocol/records.js";
import { contextOf } from "../context.js";
import { CliError, EXIT, usageError } from "../exit-codes.js";
import { describePromise, listPromises, show } from "../output.js";
import { collectTag, parseJsonOption, parseNonNegativeInteger } from "../parse-args.js";

interface SearchOptions {
  id?: string;
  state?: string;
  tag?: Record<string, string>;
  limit?: number;
  cursor?: string;
}

const SETTLE_COMMANDS: [name: string, state: SettleState, description: string][] = [
  ["resolve", "resolved", "resolve a pending promise, e.g. to answer a workflow waiting on ctx.promise()"],
  ["reject", "rejected", "reject a pending promise"],
  ["cancel", "rejected_canceled", "cancel a pending promise"],
];

export function registerPromises(program: Command): void {
  const promises = program.command("promises").description("search and settle durable promises");

  promises
    .command("search")
    .description("list promises, by id glob (* matches anything), state and tags")
    .option("--id <glob>", "id pattern, e.g. 'order-*'")
    .option("--state <state>", `one of ${PROMISE_STATES.join(", ")}`)
    .option("--tag <key=value>", "a tag that must match (repeat for more)", collectTag)
    .option("--limit <n>", "at most this many (1..1000)", parseNonNegativeInteger("--limit", 1000))
    .option("--cursor <cursor>", "continue from a previous page")
    .action(async (options: SearchOptions, command: Command) => {
      const { client, out } = contextOf(command);
      if (options.state !== undefined && !(PROMISE_STATES as readonly string[]).includes(options.state)) {
        throw usageError(`--state expects one of ${PROMISE_STATES.join(", ")}, got ${JSON.stringify(options.state)}`);
      }
      const page = await client.request("promise.search", {
        id: options.id,
        state: options.state as PromiseState | undefined,
        tags: options.tag,
        limit: options.limit,
        cursor: options.cursor,
      });
      show(out, page, () => listPromises(page.promises) + (page.cursor ? `\nmore: --cursor ${page.cursor}` : ""));
    });

  for (const [name, state, description] of SETTLE_COMMANDS) {
    promises
      .command(`${name} <id>`)
      .description(description)
      .option("--value <json>", "the value, as JSON", (text: string) => parseJsonOption("--value", text))
      .action(async (id: string, options: { value?: unknown }, command: Command) => {
        const { client, out } = contextOf(command);
        // Settling is idempotent: the server answers an already settled promise with it unchanged,
        // which would look like success. Look first, so a second resolve (even with another value) is
        // reported, not silently ignored; the settled state wins a race with another settler anyway.
        const before = await client.request("promise.get", { id });
        if (before.promise.state !== "pending") throw alreadySettled(before.promise);
        const { promise } = await client.request("promise.settle", { id, state, value: encodeValue(options.value) });
        show(out, { promise }, () => describePromise(promise));
        if (promise.state !== state) throw alreadySettled(promise);
      });
  }
}

/** Exit 1: the promise was settled before this command; it keeps its state and value. */
function alreadySettled(promise: PromiseRecord): CliError {
  const when = promise.settledAt === undefined ? "" : ` at ${new Date(promise.settledAt).toISOString()}`;
  return new CliError(`promise ${promise.id} was already ${promise.state}${when}; nothing changed (see \`reprise get ${promise.id}\`)`, EXIT.failure);
}
