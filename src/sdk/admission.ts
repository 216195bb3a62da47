/**
 * How many executions this process runs at once. Every running execution holds its generator,
 * its context and its history in memory; a suspended one holds nothing here (its task is a row in
 * the store). So work that arrives faster than it finishes (a burst of `beginRun`, a restart with
 * thousands of tasks to resume) waits as a task id in a queue, a few dozen bytes, instead of as a
 * live execution: memory stays bounded by the limit, whatever the backlog.
 *
 * Offers are deduplicated by task id: the same task announced by its execute message and by a
 * sweep is tried once, with the newest version heard of.
 */

/** Default bound on executions running at once in one process. */
export const DEFAULT_MAX_RUNNING = 10_000;

export class Admission {
  /**
   * Task id → the newest version an offer may carry and still be stale: the version offered (the
   * acquire that runs it makes a newer one), or one below the version held. A re-delivery of a
   * task we hold (after a lost lease) keeps its version, so it is not stale.
   */
  private readonly running = new Map<string, number>();
  /** Task id → version, oldest first (a Map keeps insertion order). */
  private readonly queue = new Map<string, number>();

  constructor(
    private readonly limit: number,
    /** Tries to take and run the task; resolves when the run has ended (or was not taken). */
    private readonly take: (taskId: string, version: number) => Promise<void>,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxRunning: expected a positive integer, got ${limit}`);
  }

  /** Executions running now, or reserved to start. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Executions that may start now before the limit is reached. */
  get room(): number {
    return Math.max(0, this.limit - this.running.size);
  }

  /** Offers waiting for room. */
  get queuedCount(): number {
    return this.queue.size;
  }

  /** A task may be ready to run here: try it now if there is room, else when there is. */
  offer(taskId: string, version: number): void {
    const stale = this.running.get(taskId);
    if (stale !== undefined) {
      // Running here: a newer version means its lease moved on meanwhile; the worker retries
      // such an offer when the run ends. An older one is the run itself, announced twice.
      if (version > stale) void this.take(taskId, version);
      return;
    }
    const queued = this.queue.get(taskId);
    if (queued === undefined || queued < version) {
      this.queue.delete(taskId);
      this.queue.set(taskId, version);
    }
    this.drain();
  }

  /**
   * Claims a slot for a task this process is about to acquire itself (`task.create`), so the
   * claim and the run count against the limit. False when there is no room (or it runs already).
   */
  reserve(taskId: string): boolean {
    if (this.running.size >= this.limit || this.running.has(taskId)) return false;
    this.queue.delete(taskId);
    this.running.set(taskId, Number.POSITIVE_INFINITY);
    return true;
  }

  /** Gives a reserved slot back (the task was not acquired after all). */
  unreserve(taskId: string): void {
    if (this.running.delete(taskId)) this.drain();
  }

  /** Runs a reserved task, held at `version`, in its slot. */
  runReserved(taskId: string, version: number, run: () => Promise<void>): void {
    this.start(taskId, version - 1, run);
  }

  /** Forgets queued offers (on stop). */
  clear(): void {
    this.queue.clear();
  }

  private drain(): void {
    while (this.running.size < this.limit && this.queue.size > 0) {
      const [taskId, version] = this.queue.entries().next().value as [string, number];
      this.queue.delete(taskId);
      this.start(taskId, version, () => this.take(taskId, version));
    }
  }

  private start(taskId: string, stale: number, run: () => Promise<void>): void {
    this.running.set(taskId, stale);
    const done = (): void => {
      this.running.delete(taskId);
      this.drain();
    };
    run().then(done, done);
  }
}
