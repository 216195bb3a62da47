/** `reprise cancel <id>`: cancels an execution and everything it awaits (docs/cancellation.md). */
import type { Command } from "commander";
import { RepriseError } from "../../engine/errors.js";
import { cancelExecution } from "../../engine/cancel-request.js";
import { ProtocolClient } from "../../sdk/client.js";
import { checkId } from "../../sdk/ids.js";
import { HttpTransport, ServerUnreachableError } from "../../transport/http.js";
import { contextOf } from "../context.js";
import { CliError, EXIT, usageError } from "../exit-codes.js";
import { show } from "../output.js";

export function registerCancel(program: Command): void {
  program
    .command("cancel <id>")
    .description("cancel an execution: it and what it awaits (child workflows, rpc'd executions, sleeps, promises) run their cleanup and end rejected_canceled")
    .option("--reason <text>", "why, kept with the request and in the CancelledError the workflow sees")
    .action(async (id: string, options: { reason?: string }, command: Command) => {
      const { out, globals } = contextOf(command);
      try {
        checkId(id, "id");
      } catch (error) {
        throw usageError((error as Error).message);
      }
      // A person is waiting: one quick retry, then say the server is down (as the other commands do).
      const transport = new HttpTransport({ url: globals.server, authToken: globals.authToken, batch: false, retry: { maxAttempts: 2, initialDelayMs: 200, maxDelayMs: 200 } });
      const client = new ProtocolClient(transport, globals.authToken);
      try {
        const result = await cancelExecution((kind, data) => client.send(kind, data), id, { reason: options.reason });
        // A second cancel, or one of a finished execution, is not a failure: it says what it found.
        show(out, result, () => result.message);
      } catch (error) {
        if (error instanceof ServerUnreachableError) {
          throw new CliError(`cannot reach Reprise server at ${globals.server} — is \`reprise serve\` running? (${error.cause.message})`, EXIT.unreachable);
        }
        if (error instanceof RepriseError) throw new CliError(error.message, EXIT.failure);
        throw error;
      } finally {
        await transport.close();
      }
    });
}
