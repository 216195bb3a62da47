/** Which failures mean "another transaction got there first; run the whole unit of work again". */

/**
 * Thrown inside a transaction when it acted on a row it believed absent but a concurrent
 * transaction had just inserted (e.g. two creates of one promise id). Retrying re-reads the row.
 */
export class ConcurrentInsertError extends Error {
  constructor(table: string, id: string) {
    super(`concurrent insert into ${table} of id ${JSON.stringify(id)}; the transaction will be retried`);
    this.name = "ConcurrentInsertError";
  }
}

const SERIALIZATION_FAILURE = "40001";
const DEADLOCK_DETECTED = "40P01";
/** Rows are inserted only where a read found none: a duplicate means someone inserted meanwhile. */
const UNIQUE_VIOLATION = "23505";

export function isRetryable(error: unknown): boolean {
  if (error instanceof ConcurrentInsertError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === SERIALIZATION_FAILURE || code === DEADLOCK_DETECTED || code === UNIQUE_VIOLATION;
}

export const MAX_ATTEMPTS = 10;

/** Short, jittered and growing, so colliding transactions fall out of step. */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(100, 2 ** attempt);
}
