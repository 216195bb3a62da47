/**
 * Tasks found not to be this process's to run: their execution is another group's or a function
 * not registered here, or it has already settled. A sweep offers every pending task it walks, and
 * each offer reads the task's root promise to decide; a backlog of another group's tasks (its
 * workers down) would cost that read for each of them at every sweep, every second and at every
 * nudge. What a root says of its group and function never changes, so the answer is kept for a
 * while: until NOT_OURS_TTL_MS has passed (an id can be reused once retention deletes its
 * execution), or a function is registered here (what we can run changed).
 */

export const NOT_OURS_TTL_MS = 60_000;
/** Most task ids kept; the oldest go first. */
export const NOT_OURS_MAX = 10_000;

export class NotOurs {
  /** Task id → until when, and how many functions were registered when it was found. */
  private readonly found = new Map<string, { until: number; registered: number }>();

  /** Whether `taskId` was found not ours, still holds, and nothing was registered since. */
  has(taskId: string, registered: number, now: number): boolean {
    const entry = this.found.get(taskId);
    if (entry === undefined) return false;
    if (entry.until > now && entry.registered === registered) return true;
    this.found.delete(taskId);
    return false;
  }

  add(taskId: string, registered: number, now: number): void {
    this.found.delete(taskId);
    this.found.set(taskId, { until: now + NOT_OURS_TTL_MS, registered });
    if (this.found.size > NOT_OURS_MAX) this.found.delete(this.found.keys().next().value as string);
  }

  get size(): number {
    return this.found.size;
  }
}
