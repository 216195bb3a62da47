/**
 * Callers waiting for executions to settle (`handle.result()`). They are told by this process's
 * worker or by an unblock message; polling covers a lost message (a restarted server, a dropped
 * stream, a promise settled by another process sharing the SQLite file).
 *
 * One timer serves every waiter, and each id is polled less and less often while it stays
 * pending: a caller awaiting a workflow that sleeps for a day should not cost a timer and a
 * store read every two seconds, which for 100,000 callers would be 50,000 reads a second. When
 * another process sharing the store commits, `nudge` polls at once: its messages never reach us.
 */
import type { PromiseRecord } from "../protocol/records.js";
import { NotBefore } from "./not-before.js";

/** What a poll found: the record, or an error for the waiters (no such id); undefined when it could not tell. */
export type PollAnswer = { record: PromiseRecord } | { error: Error } | undefined;

export interface WaitersOptions {
  /** Reads one id. */
  poll: (id: string) => Promise<PollAnswer>;
  /** First poll this long after a wait starts; the gap doubles after each pending answer. */
  firstPollMs?: number;
  /** The longest gap between two polls of one id. */
  maxPollMs?: number;
  /** Most reads in flight at once. */
  maxConcurrentPolls?: number;
}

interface Waiting {
  resolvers: Array<{ resolve: (record: PromiseRecord) => void; reject: (error: Error) => void }>;
  nextPollAt: number;
  gapMs: number;
  polling: boolean;
}

/** The least time between two nudges' polls. */
export const NUDGE_MIN_MS = 50;

export class Waiters {
  private readonly waiting = new Map<string, Waiting>();
  private readonly firstPollMs: number;
  private readonly maxPollMs: number;
  private readonly maxConcurrentPolls: number;
  private timer: NodeJS.Timeout | undefined;
  private lastNudgeAt = Number.NEGATIVE_INFINITY;
  private readonly nudged = new NotBefore(
    () => this.lastNudgeAt + NUDGE_MIN_MS,
    () => this.pollAllNow(),
  );
  private inFlight = 0;

  constructor(private readonly options: WaitersOptions) {
    this.firstPollMs = options.firstPollMs ?? 2000;
    this.maxPollMs = options.maxPollMs ?? 30_000;
    this.maxConcurrentPolls = options.maxConcurrentPolls ?? 100;
  }

  /** Ids with at least one waiter. */
  get size(): number {
    return this.waiting.size;
  }

  /** Whether someone waits for `id`. */
  isWaiting(id: string): boolean {
    return this.waiting.has(id);
  }

  /** Resolves when `id` settles (see `settled`), rejects on `fail`. */
  wait(id: string): Promise<PromiseRecord> {
    return new Promise<PromiseRecord>((resolve, reject) => {
      let entry = this.waiting.get(id);
      if (!entry) {
        entry = { resolvers: [], nextPollAt: Date.now() + this.firstPollMs, gapMs: this.firstPollMs, polling: false };
        this.waiting.set(id, entry);
      }
      entry.resolvers.push({ resolve, reject });
      this.arm();
    });
  }

  /** A promise settled (or was found pending: then nothing happens). */
  settled(record: PromiseRecord): void {
    if (record.state === "pending") return;
    const entry = this.waiting.get(record.id);
    if (!entry) return;
    this.waiting.delete(record.id);
    for (const { resolve } of entry.resolvers) resolve(record);
    this.disarmIfIdle();
  }

  /** Every waiter of `id` fails with `error`. */
  fail(id: string, error: Error): void {
    const entry = this.waiting.get(id);
    if (!entry) return;
    this.waiting.delete(id);
    for (const { reject } of entry.resolvers) reject(error);
    this.disarmIfIdle();
  }

  /**
   * Something may have settled out of sight (another process sharing the store committed): every
   * id not being polled is polled now, as many at once as `maxConcurrentPolls` allows (the rest at
   * the next nudge or tick), instead of at its next scheduled poll. Its backoff goes on from there.
   * At most once per NUDGE_MIN_MS: a nudge sooner than that is carried out when the gap is over
   * (a busy neighbour commits all the time, and each nudge looks at every waiter).
   */
  nudge(): void {
    if (this.waiting.size > 0) this.nudged.request();
  }

  /** Stops polling; waiters are left unanswered (the instance is stopping). */
  stop(): void {
    clearInterval(this.timer);
    this.nudged.cancel();
    this.timer = undefined;
    this.waiting.clear();
  }

  private pollAllNow(): void {
    if (this.waiting.size === 0) return;
    const now = Date.now();
    this.lastNudgeAt = now;
    for (const entry of this.waiting.values()) if (entry.nextPollAt > now) entry.nextPollAt = now;
    this.pollDue();
  }

  private arm(): void {
    if (this.timer) return;
    // The poll gaps are seconds long: a check every quarter of the first gap is precise enough.
    this.timer = setInterval(() => this.pollDue(), Math.max(10, Math.floor(this.firstPollMs / 4)));
  }

  private disarmIfIdle(): void {
    if (this.waiting.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private pollDue(): void {
    const now = Date.now();
    for (const [id, entry] of this.waiting) {
      if (this.inFlight >= this.maxConcurrentPolls) return;
      if (entry.polling || entry.nextPollAt > now) continue;
      entry.polling = true;
      this.inFlight++;
      this.options
        .poll(id)
        .catch((): PollAnswer => undefined)
        .then((answer) => {
          this.inFlight--;
          entry.polling = false;
          entry.gapMs = Math.min(entry.gapMs * 2, this.maxPollMs);
          entry.nextPollAt = Date.now() + entry.gapMs;
          if (answer && "error" in answer) this.fail(id, answer.error);
          else if (answer) this.settled(answer.record);
        });
    }
  }
}
