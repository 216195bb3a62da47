/**
 * Wakes the store when something becomes due (a timer, a promise timeout, a lease, a schedule):
 * sleeps until `store.nextDeadline()`, never longer than `maxIntervalMs` (other processes sharing
 * the store may add earlier deadlines), and `hint(at)` pulls the wake-up earlier for deadlines
 * this process just created. Each wake-up is one indexed query, never a scan.
 */
import type { Store } from "./store.js";

export interface TickerOptions {
  maxIntervalMs?: number;
  onError?: (error: unknown) => void;
  clock?: () => number;
}

export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running = false;
  private ticking = false;
  private readonly maxIntervalMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly store: Store,
    private readonly options: TickerOptions = {},
  ) {
    this.maxIntervalMs = options.maxIntervalMs ?? 1000;
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Something becomes due at `at`: wake up by then. */
  hint(at: number): void {
    if (!this.running || at >= this.wakeAt) return;
    this.schedule(Math.max(0, at - this.clock()));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.wakeAt = this.clock() + delayMs;
    this.timer = setTimeout(() => void this.wake(), delayMs);
  }

  private async wake(): Promise<void> {
    if (!this.running || this.ticking) return;
    this.ticking = true;
    this.wakeAt = Number.POSITIVE_INFINITY;
    let next = this.clock() + this.maxIntervalMs;
    try {
      await this.store.tick(this.clock());
      const deadline = await this.store.nextDeadline();
      if (deadline !== undefined) next = Math.min(next, deadline);
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.ticking = false;
    }
    if (this.running) this.schedule(Math.min(Math.max(0, next - this.clock()), this.maxIntervalMs));
  }
}
