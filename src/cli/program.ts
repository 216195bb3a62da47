/** The `reprise` command line: global options and every subcommand. */
import { Command, Option } from "commander";
import { registerCancel } from "./commands/cancel.js";
import { registerCheck } from "./commands/check.js";
import { registerGet } from "./commands/get.js";
import { registerInvoke } from "./commands/invoke.js";
import { registerLimits } from "./commands/limits.js";
import { registerPromises } from "./commands/promises.js";
import { registerPurge } from "./commands/purge.js";
import { registerSchedules } from "./commands/schedules.js";
import { registerServe } from "./commands/serve.js";
import { registerTree } from "./commands/tree.js";
import { DEFAULT_SERVER } from "./context.js";

export function buildProgram(): Command {
  const program = new Command("reprise")
    .description("Durable functions for TypeScript: run a server, start executions, inspect promises.")
    // Errors are thrown, not exited on, so main() decides the exit code.
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .addOption(new Option("--server <url>", "Reprise server URL").env("REPRISE_URL").default(DEFAULT_SERVER))
    .addOption(new Option("--auth-token <token>", "bearer token for a server started with one").env("REPRISE_AUTH_TOKEN"))
    .option("--json", "print machine-readable JSON");

  registerServe(program);
  registerInvoke(program);
  registerGet(program);
  registerTree(program);
  registerCancel(program);
  registerPromises(program);
  registerSchedules(program);
  registerLimits(program);
  registerCheck(program);
  registerPurge(program);
  return program;
}
