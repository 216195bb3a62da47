/**
 * Looking for work this process was not told about: once at start (a restart resumes what the
 * dead process was running), and, in embedded mode, every second and whenever another process
 * sharing the SQLite file commits (`nudge`): processes sharing a file hear only their own store
 * messages, and whichever ticks first re-delivers a task to itself.
 *
 * Found tasks go to the Admission queue, which runs a bounded number at once. A sweep never
 * overlaps the previous one, and periodic sweeps skip the walk over pending tasks while the queue
 * still holds work: that work is what a sweep would find, and re-reading it every second would
 * cost a scan of every pending task per second for nothing.
 */
import type { Admission } from "./admission.js";
import { NotBefore } from "./not-before.js";
import type { ProtocolClient } from "./client.js";
import type { Acquired } from "../protocol/requests.js";
import { offerPendingTasks, takeOverDeadHolders } from "./recovery.js";

export interface SweeperOptions {
  client: ProtocolClient;
  admission: Admission;
  /** Embedded mode: also take over the tasks of dead holders, and sweep periodically. */
  embedded: boolean;
  /** This process's id and lease length: a dead holder's tasks are acquired under them. */
  pid: string;
  ttl: number;
  /** Runs a task taken over from a dead holder (it counts against the Admission limit). */
  runTakenOver: (taken: Acquired) => void;
  /** Stop queueing found tasks past this many queued offers (the rest is found later). */
  maxQueued: number;
  onError: (error: unknown) => void;
}

const SWEEP_MS = 1000;
/** Dead holders are looked for at start and every few seconds: a scan of every acquired task. */
const DEAD_HOLDER_EVERY_MS = 10 * SWEEP_MS;
/**
 * A nudge (another process committed) sweeps at once, but no sooner than this after the last
 * sweep began: a busy neighbour commits thousands of times a second.
 */
export const NUDGED_SWEEP_MIN_MS = 50;
/**
 * ...and no sooner than this many times the last sweep's length after it ended: a sweep walks
 * every pending task (a backlog nobody takes can make it long), so nudges spend at most a tenth
 * of the time on sweeping.
 */
export const NUDGED_SWEEP_IDLE_FACTOR = 9;

export class Sweeper {
  /** When the last sweep began (never: the next is the first). */
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private lastSweepEndedAt = Number.NEGATIVE_INFINITY;
  private lastDeadHolderScanAt = Number.NEGATIVE_INFINITY;
  private sweeping: Promise<void> | undefined;
  /** A nudge came while a sweep was under way: that sweep may have read before the change. */
  private nudgedWhileSweeping = false;
  /** Nudged sweeps: at least NUDGED_SWEEP_MIN_MS after the last began, NUDGED_SWEEP_IDLE_FACTOR times its length after it ended. */
  private readonly nudged = new NotBefore(
    () => Math.max(this.lastSweepAt + NUDGED_SWEEP_MIN_MS, this.lastSweepEndedAt + NUDGED_SWEEP_IDLE_FACTOR * Math.max(0, this.lastSweepEndedAt - this.lastSweepAt)),
    () => void this.sweep(),
  );
  /** A walk stopped early (the queue was full): continue it at the next sweep. */
  private deadLeft = false;
  private pendingLeft = false;
  private timer: NodeJS.Timeout | undefined;
  private firstSweep: NodeJS.Immediate | undefined;
  private stopped = false;
  /** Resolves once the first sweep has ended (or the sweeper stopped before it). */
  readonly firstSweepDone: Promise<void>;
  private markFirstSweepDone!: () => void;

  constructor(private readonly options: SweeperOptions) {
    this.firstSweepDone = new Promise((resolve) => (this.markFirstSweepDone = resolve));
  }

  start(): void {
    // A stop that came first wins: arming the interval now would keep the process alive for ever.
    if (this.stopped || this.firstSweep || this.timer) return;
    // Registrations usually follow the constructor synchronously; look for work once they are in.
    this.firstSweep = setImmediate(() => {
      this.firstSweep = undefined;
      void this.sweep();
    });
    if (this.options.embedded) this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
  }

  stop(): void {
    this.stopped = true;
    this.markFirstSweepDone();
    clearImmediate(this.firstSweep);
    clearInterval(this.timer);
    this.nudged.cancel();
    this.firstSweep = undefined;
    this.timer = undefined;
  }

  /** One sweep (or the one in progress). */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.sweeping ??= this.once()
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.sweeping = undefined;
        this.lastSweepEndedAt = Date.now();
        this.markFirstSweepDone();
        if (this.nudgedWhileSweeping) {
          this.nudgedWhileSweeping = false;
          this.nudge();
        }
      });
    return this.sweeping;
  }

  /**
   * Embedded mode: another process sharing the file committed (a task it created for our
   * functions, a promise it settled that resumes ours), and its messages never reach us. Sweep
   * now rather than at the next second, as often as NUDGED_SWEEP_MIN_MS and
   * NUDGED_SWEEP_IDLE_FACTOR allow.
   */
  nudge(): void {
    if (this.stopped || !this.options.embedded) return;
    if (this.sweeping) this.nudgedWhileSweeping = true;
    else this.nudged.request();
  }

  private async once(): Promise<void> {
    const { client, admission, embedded, maxQueued } = this.options;
    const first = this.lastSweepAt === Number.NEGATIVE_INFINITY;
    const now = Date.now();
    this.lastSweepAt = now;
    const more = () => !this.stopped && admission.queuedCount < maxQueued;
    const offer = (taskId: string, version: number) => admission.offer(taskId, version);
    if (first || this.pendingLeft || admission.queuedCount === 0) {
      this.pendingLeft = !(await offerPendingTasks(client, offer, { more }));
    }
    // The first sweep scans too: no scan has been made yet.
    if (embedded && (this.deadLeft || now - this.lastDeadHolderScanAt >= DEAD_HOLDER_EVERY_MS)) {
      this.lastDeadHolderScanAt = now;
      // Taken tasks are held at once: no more than there is room to run.
      const { pid, ttl, runTakenOver } = this.options;
      this.deadLeft = !(await takeOverDeadHolders(client, runTakenOver, { pid, ttl, max: admission.room })).complete;
    }
  }
}
