/**
 * `reprise purge --older-than <duration> --store <file|url>`: deletes, now, every finished
 * execution that finished at least that long ago, whatever its retention (docs/retention.md).
 * Runs against the store itself (a running server may share it: SQLite serializes the writes,
 * PostgreSQL servers purging at the same time take other executions), a few executions per short
 * transaction, so the workers using the store are not held up. Executions with work still pending
 * under their root are kept and counted. Exit 0 when done, 3 when the store cannot be opened,
 * 2 for a usage error.
 */
import type { Command } from "commander";
import type { GlobalOptions } from "../context.js";
import { CliError, EXIT } from "../exit-codes.js";
import { consoleOutput, show } from "../output.js";
import { parseDuration } from "../parse-args.js";
import { openExisting } from "./check.js";

interface PurgeCliOptions {
  olderThan: number;
  store: string;
}

export function registerPurge(program: Command): void {
  program
    .command("purge")
    .description("delete finished executions (each with its steps, children and tasks) that finished longer ago than --older-than")
    .requiredOption("--older-than <duration>", "e.g. 30d, 12h, 90m; 0 deletes every finished execution", parseDuration("--older-than"))
    .requiredOption("--store <path|postgres-url>", "the SQLite file or PostgreSQL URL the executions are stored in (a running server may share it)")
    .action(async (options: PurgeCliOptions, command: Command) => {
      const out = consoleOutput(command.optsWithGlobals<GlobalOptions>().json === true);
      const store = await openExisting(options.store);
      try {
        if (!store.purge) throw new CliError("this store cannot purge", EXIT.failure);
        const now = Date.now();
        const report = await store.purge({ now, olderThanMs: options.olderThan });
        const finishedBefore = new Date(now - options.olderThan).toISOString();
        show(out, { executions: report.executions, promises: report.promises, kept: report.kept, finishedBefore }, () => {
          const kept = report.kept === 0 ? "" : `; kept ${report.kept} with work still pending under the root (a detached child, say)`;
          return `deleted ${report.executions} execution(s), ${report.promises} promise(s) in all, that finished before ${finishedBefore}${kept}`;
        });
      } finally {
        await store.close();
      }
    });
}
