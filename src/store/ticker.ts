/**
 * Drives `store.tick()` at the store's next deadline, so timers, lease expiries and schedules fire
 * on time without scanning: one indexed `nextDeadline()` read after each tick decides when the
 * next one runs. Deadlines live in the store, so a restarted server picks them up where they were.
 *
 * On a timer of its own, at low priority, it also runs `store.purge()`: finished executions whose
 * retention has passed are deleted a few per transaction (docs/retention.md). A pass that stops
 * with work left is followed by the next one soon; a late purge only keeps rows a little longer.
 */
import type { Logger } from "../observability/logger.js";
import { READ_KINDS } from "../protocol/read-kinds.js";
import type { Request } from "../protocol/requests.js";
import type { Store } from "../store/store.js";

export interface TickerOptions {
  /** Longest sleep between ticks, so a deadline written by another replica is seen soon. */
  maxIntervalMs?: number;
  /** How soon after `recheck()` the next deadline is read again; coalesces bursts of changes. */
  recheckDelayMs?: number;
  /** Time between purge passes (default 30 s); 0 never purges. */
  purgeIntervalMs?: number;
  logger?: Logger;
}

export const DEFAULT_PURGE_INTERVAL_MS = 30_000;
/** The pause before the next pass when one stopped with due work left: the hot path gets the store in between. */
const PURGE_CONTINUE_MS = 50;

export class Ticker {
  private readonly maxIntervalMs: number;
  private readonly recheckDelayMs: number;
  private readonly purgeIntervalMs: number;
  private readonly logger: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;
  private peekTimer: NodeJS.Timeout | undefined;
  private peeking: Promise<void> | undefined;
  private purgeTimer: ReturnType<typeof setTimeout> | undefined;
  private purging: Promise<void> | undefined;
  private scheduledAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  private rerun = false;
  /**
   * The earliest deadline hinted while a tick ran. Kept as a time, not as "tick again soon": a
   * burst of writes (each step's create hints its timeout, each acquire its lease end) would
   * otherwise re-run the tick every few ms for deadlines that are hours away.
   */
  private hintedAt = Number.POSITIVE_INFINITY;
  private stopped = true;
  /** Resolves once the first tick after start has ended (or the ticker stopped before it). */
  readonly firstTickDone: Promise<void>;
  private markFirstTickDone!: () => void;

  constructor(
    private readonly store: Store,
    options: TickerOptions = {},
  ) {
    this.maxIntervalMs = options.maxIntervalMs ?? 1000;
    this.recheckDelayMs = options.recheckDelayMs ?? 5;
    this.purgeIntervalMs = options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    if (!Number.isSafeInteger(this.purgeIntervalMs) || this.purgeIntervalMs < 0) {
      throw new RangeError(`purgeIntervalMs: expected a whole number of milliseconds from 0, got ${String(options.purgeIntervalMs)}`);
    }
    this.logger = options.logger;
    this.firstTickDone = new Promise((resolve) => (this.markFirstTickDone = resolve));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
    this.schedulePurge(this.purgeIntervalMs);
  }

  /** Something becomes due at `at` (a deadline this process just wrote): wake up by then, no query needed. */
  hint(at: number): void {
    if (this.stopped) return;
    if (this.running) this.hintedAt = Math.min(this.hintedAt, at);
    else this.schedule(untilDue(at));
  }

  /**
   * A request was applied: wake for the deadline it shows, or read the next deadline when only
   * the store knows what the write made due (a release's redelivery, a schedule's next run).
   */
  applied(req: Request): void {
    if (!this.hintFor(req) && !READ_KINDS.has(req.kind)) this.recheck();
  }

  /** Wakes for the deadline `req` shows, if it shows one (no query); says whether it did. */
  hintFor(req: Request): boolean {
    const deadline = deadlineOf(req);
    if (deadline !== undefined) this.hint(deadline);
    return deadline !== undefined;
  }

  /**
   * Something changed (a create, a message): the next deadline may now be sooner. Reads it (one
   * indexed query, coalesced over `recheckDelayMs`) and ticks only when it comes; a burst of writes
   * used to run a whole tick each time, which on PostgreSQL is a transaction of six queries.
   */
  recheck(): void {
    if (this.stopped) return;
    if (this.running || this.peeking) {
      this.rerun = true;
      return;
    }
    this.peekTimer ??= setTimeout(() => {
      this.peekTimer = undefined;
      this.peeking = this.peek();
    }, this.recheckDelayMs);
  }

  /** Stops ticking and waits for a tick in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduledAt = Number.POSITIVE_INFINITY;
    clearTimeout(this.peekTimer);
    this.peekTimer = undefined;
    clearTimeout(this.purgeTimer);
    this.purgeTimer = undefined;
    this.markFirstTickDone();
    await this.running;
    await this.peeking;
    await this.purging;
  }

  private schedulePurge(delayMs: number): void {
    if (this.stopped || this.purgeIntervalMs === 0 || this.store.purge === undefined) return;
    this.purgeTimer = setTimeout(() => {
      this.purgeTimer = undefined;
      this.purging = this.purge();
    }, delayMs);
  }

  private async purge(): Promise<void> {
    let delay = this.purgeIntervalMs;
    try {
      const report = await this.store.purge!();
      if (report.executions > 0) this.logger?.debug({ ...report }, "purged finished executions");
      if (report.more) delay = PURGE_CONTINUE_MS;
    } catch (error) {
      this.logger?.error({ err: error }, "purge failed; trying again at the next pass");
    }
    this.purging = undefined;
    this.schedulePurge(delay);
  }

  /** Ticks run one at a time; each schedules the next when it ends. */
  private schedule(delayMs: number): void {
    const at = Date.now() + delayMs;
    if (this.stopped || this.running || at >= this.scheduledAt) return;
    clearTimeout(this.timer);
    this.scheduledAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.scheduledAt = Number.POSITIVE_INFINITY;
      this.running = this.run();
    }, delayMs);
  }

  private async run(): Promise<void> {
    let delay = this.maxIntervalMs;
    try {
      await this.store.tick(Date.now());
      const next = await this.store.nextDeadline();
      if (next !== undefined) delay = Math.min(delay, untilDue(next));
    } catch (error) {
      this.logger?.error({ err: error }, "tick failed; retrying");
    }
    delay = Math.min(delay, untilDue(this.hintedAt));
    this.hintedAt = Number.POSITIVE_INFINITY;
    this.running = undefined;
    this.markFirstTickDone();
    this.schedule(delay);
    this.recheckIfAsked();
  }

  /** Reads the next deadline and wakes for it: what a recheck costs instead of a tick. */
  private async peek(): Promise<void> {
    try {
      const next = await this.store.nextDeadline();
      if (next !== undefined) this.hint(next);
    } catch (error) {
      this.logger?.error({ err: error }, "reading the next deadline failed; the next tick reads it again");
    }
    this.peeking = undefined;
    this.recheckIfAsked();
  }

  /** A recheck that arrived while a tick or a read ran may be about a change that read missed. */
  private recheckIfAsked(): void {
    if (!this.rerun) return;
    this.rerun = false;
    this.recheck();
  }
}

/**
 * Milliseconds until `at` is due. A timer may fire up to a millisecond before its delay by the
 * wall clock, and a tick a millisecond early finds nothing due: wait one more.
 */
function untilDue(at: number): number {
  const delay = at - Date.now();
  return delay > 0 ? delay + 1 : 0;
}

/** The moment a request makes something due, so the ticker can wake for it. */
function deadlineOf(req: Request): number | undefined {
  switch (req.kind) {
    case "promise.create":
      return req.data.timeoutAt;
    case "task.create":
      return req.data.action.data.timeoutAt;
    case "task.fence":
      return req.data.action.kind === "promise.create" ? req.data.action.data.timeoutAt : undefined;
    case "task.acquire":
      return Date.now() + req.data.ttl;
    default:
      return undefined;
  }
}
