/**
 * Time that moves only when a test moves it. The engine's waits (a step's backoff between
 * attempts) and the store's deadlines (timers, leases, timeouts) all read it, so a workflow that
 * sleeps for days finishes in milliseconds, and the same way on every run.
 */
import type { Clock } from "../engine/clock.js";

interface Timer {
  at: number;
  fire: () => void;
}

export class VirtualClock implements Clock {
  private time: number;
  private timers: Timer[] = [];

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), fire: resolve });
      this.timers.sort((a, b) => a.at - b.at);
    });
  }

  defer(callback: () => void): void {
    setImmediate(callback);
  }

  /** The moment the earliest sleep ends, if any is pending. */
  nextTimer(): number | undefined {
    return this.timers[0]?.at;
  }

  /** Moves time forward to `at` (never back) and ends every sleep due by then. */
  advanceTo(at: number): void {
    this.time = Math.max(this.time, at);
    const due = this.timers.filter((timer) => timer.at <= this.time);
    this.timers = this.timers.filter((timer) => timer.at > this.time);
    for (const timer of due) timer.fire();
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.time + ms);
  }
}
