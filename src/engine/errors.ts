/** Errors with names that say what went wrong. */

/** The seeds' typed error: `type` names the kind ("Panic"), `code` is Resonate's numeric code. */
export class RepriseError extends Error {
  override name = "RepriseError";
  constructor(
    readonly code: string,
    readonly type: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** Raised by ctx.panic / ctx.assert: ends the whole execution, is not retried and cannot be caught. */
export class PanicError extends RepriseError {
  override name = "PanicError";
  constructor(message: string) {
    super("98", "Panic", message, false);
  }
}

/** A replay made a different call than the recorded history at the same position. */
export class DivergenceError extends RepriseError {
  override name = "DivergenceError";
  constructor(
    readonly position: string,
    readonly recorded: string,
    readonly replayed: string,
  ) {
    super(
      "97",
      "Divergence",
      `non-deterministic replay at ${position}: the history recorded ${recorded} there, but this run called ${replayed}. ` +
        `Workflow code must make the same calls in the same order on every run; use ctx.date.now() / ctx.math.random() instead of Date.now() / Math.random().`,
    );
  }
}

/** The step was retried until its policy gave up; `cause` is the last failure. */
export class RetriesExhaustedError extends RepriseError {
  override name = "RetriesExhaustedError";
}

/** A durable promise the workflow awaited timed out or was canceled. */
export class PromiseRejectedError extends RepriseError {
  override name = "PromiseRejectedError";
}

export class InvalidArgumentError extends RepriseError {
  override name = "InvalidArgumentError";
  constructor(message: string) {
    super("40", "InvalidArgument", message);
  }
}

export class NotRegisteredError extends RepriseError {
  override name = "NotRegisteredError";
  constructor(func: string, known: string[]) {
    super(
      "41",
      "NotRegistered",
      `function "${func}" is not registered; call reprise.register("${func}", fn) first` +
        (known.length ? ` (registered: ${known.join(", ")})` : " (nothing is registered)"),
    );
  }
}

export class ConflictError extends RepriseError {
  override name = "ConflictError";
  constructor(message: string) {
    super("42", "Conflict", message);
  }
}

/** The store or server refused or failed a request. */
export class StoreError extends RepriseError {
  override name = "StoreError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("99", "Store", message, status >= 500);
  }
}

/** Turns whatever a step threw into an Error, keeping a thrown string/object readable. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const error = new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
  error.name = "NonErrorThrown";
  return error;
}

/**
 * The execution was asked to cancel (`reprise.cancel`): thrown at the workflow's current `yield`,
 * so its `catch`/`finally` can run compensation steps. `executionId` is the execution whose
 * cancellation it is (a child execution cancelled by its parent has its own).
 */
export class CancelledError extends RepriseError {
  override name = "CancelledError";
  constructor(
    readonly executionId: string,
    readonly reason?: string,
  ) {
    super("54", "Cancelled", `execution ${executionId} was cancelled` + (reason === undefined ? "" : `: ${reason}`));
  }
}

/** A CancelledError, also as it comes back from the store (a plain Error carrying its name and fields). */
export function asCancelledError(error: unknown): CancelledError | undefined {
  if (error instanceof CancelledError) return error;
  if (!(error instanceof Error) || error.name !== "CancelledError") return undefined;
  const { executionId, reason } = error as Error & { executionId?: unknown; reason?: unknown };
  if (typeof executionId !== "string") return undefined;
  const rebuilt = new CancelledError(executionId, typeof reason === "string" ? reason : undefined);
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}
