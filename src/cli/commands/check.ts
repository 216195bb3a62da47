/**
 * `reprise check --store <file|url> --module <file>`: can this code be deployed while executions
 * are in flight? Replays every pending execution (with --all, every one) against the module's
 * functions, running nothing, and names each that would diverge. Exit 0 when all replay cleanly,
 * 4 when any would diverge, 3 when the store cannot be opened, 2 for a usage error.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import type { Reprise } from "../../sdk/reprise.js";
import type { Store } from "../../store/store.js";
import type { GlobalOptions } from "../context.js";
import { CliError, EXIT, usageError } from "../exit-codes.js";
import { consoleOutput } from "../output.js";

interface CheckCliOptions {
  store: string;
  module: string;
  all?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("replay in-flight executions against new code (running nothing) and report any that would diverge")
    .requiredOption("--store <path|postgres-url>", "the SQLite file or PostgreSQL URL the executions are stored in")
    .requiredOption("--module <file>", "a module exporting register(reprise), as the application calls it")
    .option("--all", "replay finished executions too")
    .action(async (options: CheckCliOptions, command: Command) => {
      const out = consoleOutput(command.optsWithGlobals<GlobalOptions>().json === true);
      const register = await loadRegister(options.module);
      const store = await openExisting(options.store);
      const { checkModule } = await import("../../sdk/check.js");
      const started = performance.now();
      try {
        const report = await checkModule({ store, register, all: options.all === true });
        const seconds = (performance.now() - started) / 1000;
        if (out.json) out.print(JSON.stringify({ ...report, seconds }, null, 2));
        else {
          for (const d of report.diverged) out.print(`DIVERGES ${d.executionId} (${d.func}) at ${d.position}: recorded ${d.recorded}, the new code calls ${d.replayed}`);
          for (const s of report.skipped) out.print(`skipped ${s.executionId}: ${s.reason}`);
          out.print(`${report.checked} replayed in ${seconds.toFixed(2)} s: ${report.clean} clean, ${report.diverged.length} would diverge, ${report.skipped.length} skipped`);
        }
        if (report.diverged.length > 0) throw new CliError(`${report.diverged.length} execution(s) would diverge under this code`, EXIT.diverged);
      } finally {
        await store.close();
      }
    });
}

async function loadRegister(file: string): Promise<(reprise: Reprise) => unknown> {
  const path = resolve(file);
  if (!existsSync(path)) throw usageError(`--module ${file}: no such file`);
  const module = (await import(pathToFileURL(path).href)) as { register?: unknown; default?: { register?: unknown } };
  const register = module.register ?? module.default?.register;
  if (typeof register !== "function") throw usageError(`--module ${file}: expected it to export register(reprise)`);
  return register as (reprise: Reprise) => unknown;
}

/** Opens the store to check (or purge); a file that does not exist is not created. */
export async function openExisting(spec: string): Promise<Store> {
  const isUrl = /^postgres(ql)?:\/\//i.test(spec);
  if (!isUrl && !existsSync(spec)) throw new CliError(`--store ${spec}: no such SQLite file`, EXIT.unreachable);
  const { openStore } = await import("../../store/index.js");
  try {
    return await openStore(spec);
  } catch (error) {
    throw new CliError(`cannot open the store ${isUrl ? "(PostgreSQL)" : spec}: ${(error as Error).message}`, EXIT.unreachable);
  }
}
