/** `reprise get <id>`: one promise, its state and decoded payloads. */
import type { Command } from "commander";
import { contextOf } from "../context.js";
import { describePromise, show } from "../output.js";

export function registerGet(program: Command): void {
  program
    .command("get <id>")
    .description("show a promise: state, function, timings, decoded param and value")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const { promise } = await client.request("promise.get", { id });
      show(out, { promise }, () => describePromise(promise));
    });
}
