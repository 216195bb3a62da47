/** Entry point of the `reprise` command (bin/reprise.js calls `main`). */
import { CommanderError } from "commander";
import { CliError, EXIT, type ExitCode } from "./exit-codes.js";
import { buildProgram } from "./program.js";

/** Runs the command line and returns the exit code; `serve` keeps running after it returns. */
export async function main(argv: string[] = process.argv): Promise<ExitCode> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    // Commander has already printed its message; exit code 0 means help was asked for.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failure;
  }
}
