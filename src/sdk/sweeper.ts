/**
 * Looking for work this process was not told about: once at start (a restart resumes what the
 * dead process was running), and, in embedded mode, every second (processes sharing a SQLite
 * file hear only their own store messages, and whichever ticks first re-delivers a task to
 * itself).
 *
 * Found tasks go to the Admission queue, which runs a bounded number at once. A sweep never
 * overlaps the previous one, and periodic sweeps skip the walk over pending tasks while the queue
 * still holds work: that work is what a sweep would find, and re-reading it every second would
 * cost a scan of every pending task per second for nothing.
 */
import type { Admission } from "./admission.js";
import type { ProtocolClient } from "./client.js";
import { offerPendingTasks, takeOverDeadHolders } from "./recovery.js";

export interface SweeperOptions {
  client: ProtocolClient;
  admission: Admission;
  /** Embedded mode: also take over the tasks of dead holders, and sweep periodically. */
  embedded: boolean;
  /** Queues a dead holder's task to be taken over from it. */
  takeOver: (taskId: string, version: number, holder: string) => void;
  /** Stop queueing found tasks past this many queued offers (the rest is found later). */
  maxQueued: number;
  onError: (error: unknown) => void;
}

const SWEEP_MS = 1000;
/** Dead holders are looked for at start and every few sweeps: a scan of every acquired task. */
const DEAD_HOLDER_EVERY_SWEEPS = 10;

export class Sweeper {
  private sweeps = 0;
  private sweeping: Promise<void> | undefined;
  /** A walk stopped early (the queue was full): continue it at the next sweep. */
  private deadLeft = false;
  private pendingLeft = false;
  private timer: NodeJS.Timeout | undefined;
  private firstSweep: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly options: SweeperOptions) {}

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
    clearImmediate(this.firstSweep);
    clearInterval(this.timer);
    this.firstSweep = undefined;
    this.timer = undefined;
  }

  /** One sweep (or the one in progress). */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.sweeping ??= this.once()
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async once(): Promise<void> {
    const { client, admission, embedded, maxQueued } = this.options;
    const first = this.sweeps++ === 0;
    const more = () => !this.stopped && admission.queuedCount < maxQueued;
    const offer = (taskId: string, version: number) => admission.offer(taskId, version);
    if (first || this.pendingLeft || admission.queuedCount === 0) {
      this.pendingLeft = !(await offerPendingTasks(client, offer, { more }));
    }
    if (embedded && (first || this.deadLeft || this.sweeps % DEAD_HOLDER_EVERY_SWEEPS === 0)) {
      this.deadLeft = !(await takeOverDeadHolders(client, this.options.takeOver, { more })).complete;
    }
  }
}
