/** Starting many executions at once, and counting how many have suspended. */
import Database from "better-sqlite3";
import type { Reprise } from "../../src/index.js";

/** beginRun calls in flight at a time. */
const WINDOW = 1_000;

/**
 * Starts `count` executions of `func` with `beginRun` (ids `${prefix}-0…`), at most WINDOW in
 * flight, and returns the seconds that took. beginRun returns once the execution is durably
 * created; we do not ask for results (each `result()` registers a listener and a poll timer, a
 * cost of waiting for 100,000 results, not of starting them). A window keeps the bench itself
 * from holding 100,000 pending calls at once, as a sensible loader would; 1,000 in flight is far
 * more than one commit batch, so the engine's batching is not limited by it.
 */
export async function startAll(reprise: Reprise, func: string, count: number, prefix: string, args: (i: number) => unknown[] = () => []): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) await reprise.beginRun(`${prefix}-${i}`, func, ...args(i));
  };
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, lane));
  return (performance.now() - started) / 1000;
}

/**
 * How many tasks are suspended in a SQLite store: an execution's task is suspended once its
 * generator awaits only pending promises (here: its first step recorded, its sleep's promise
 * created, callbacks registered), so this counts executions that are "all suspended".
 * The public API has no count (promise/task search pages through records), so this one function
 * reads the store's schema directly (tasks.state), with its own read-only connection (WAL: it
 * never blocks the writer). Cost: one index count, a few ms for 100,000 rows.
 */
export class SuspendedCounter {
  private readonly db: Database.Database;
  private readonly statement: Database.Statement<[], { n: number }>;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    this.statement = this.db.prepare("SELECT count(*) AS n FROM tasks WHERE state = 'suspended'");
  }

  count(): number {
    return this.statement.get()!.n;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Polls `count` every `everyMs` until it reaches `target` or `timeoutMs` passes. Returns when
 * (Date.now()) and how far it got, so a bench that runs out of time still reports its progress.
 */
export async function waitForCount(
  count: () => number,
  target: number,
  timeoutMs: number,
  everyMs = 50,
): Promise<{ at: number; reached: number; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reached = count();
    if (reached >= target) return { at: Date.now(), reached, timedOut: false };
    if (Date.now() > deadline) return { at: Date.now(), reached, timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
