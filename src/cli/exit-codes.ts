/** What `reprise` exits with, so scripts can tell a refusal from a typo from a server that is down. */
export const EXIT = {
  ok: 0,
  /** The server answered with a failure (not found, conflict, refused input, unauthorized). */
  failure: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** No server answered at the given URL (or the store given to `check` cannot be opened). */
  unreachable: 3,
  /** `reprise check`: an execution in flight would diverge under the new code. */
  diverged: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one readable line and turns into an exit code. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
