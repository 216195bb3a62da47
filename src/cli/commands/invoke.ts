/** `reprise invoke <id> --func <name>`: start an execution the way both SDKs start one. */
import type { Command } from "commander";
import { encodeCall, rootTags } from "../../protocol/calls.js";
import { toAddress } from "../../protocol/tags.js";
import { contextOf } from "../context.js";
import { show } from "../output.js";
import { collectJson, parseNonNegativeInteger } from "../parse-args.js";

interface InvokeOptions {
  func: string;
  arg: unknown[];
  target: string;
  timeout: number;
}

export const DEFAULT_EXECUTION_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export function registerInvoke(program: Command): void {
  program
    .command("invoke <id>")
    .description("start an execution: create its root promise for a worker of the target group to run")
    .requiredOption("--func <name>", "the registered function to run")
    .option("--arg <json>", "an argument, as JSON (repeat for more)", collectJson, [])
    .option("--target <group>", "the worker group that runs it", "default")
    .option("--timeout <ms>", "how long the execution may take", parseNonNegativeInteger("--timeout"), DEFAULT_EXECUTION_TIMEOUT_MS)
    .action(async (id: string, options: InvokeOptions, command: Command) => {
      const { client, out } = contextOf(command);
      const { promise } = await client.request("promise.create", {
        id,
        timeoutAt: Date.now() + options.timeout,
        param: encodeCall(options.func, options.arg),
        tags: rootTags(options.func, toAddress(options.target), id),
      });
      show(out, { promise }, () =>
        promise.state === "pending"
          ? `${id}: ${options.func} is pending on ${options.target}; follow it with \`reprise tree ${id}\``
          : `${id} already ran: ${promise.state}; see \`reprise get ${id}\``,
      );
    });
}
