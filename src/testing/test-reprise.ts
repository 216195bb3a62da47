/**
 * Reprise for tests: an in-memory store and a virtual clock. Time moves only when nothing else
 * can: then it jumps to the next deadline (a sleep, a timeout, a step's backoff, a lease), so a
 * workflow that sleeps for days finishes in milliseconds, the same way every run. `crash()` ends
 * the current process as kill -9 would (its in-memory state gone, the store intact) and starts a
 * new one, which recovers the executions once their leases run out. A process an `intercept`
 * killed is replaced the same way at the next step of a drive, as a supervisor restarts a process
 * that died, so a test driving a workflow (resolving its promises) carries on across the crash.
 *
 *   const test = new TestReprise({ setup: (reprise) => reprise.register("order", order) });
 *   const handle = await test.reprise.beginRun("order-1", "order", "book");
 *   await test.resolve("approval-book", true);        // what a person would do
 *   expect(await test.result(handle.id)).toBe("shipped");
 */
import type { Request } from "../protocol/requests.js";
import type { PromiseRecord } from "../protocol/records.js";
import { action } from "../sdk/client.js";
import { outcomeOf } from "../sdk/handle.js";
import { Reprise } from "../sdk/reprise.js";
import { MemoryBackend } from "../store/memory/memory-backend.js";
import { ProtocolStore } from "../store/kernel/protocol-store.js";
import type { Store } from "../store/store.js";
import { TestTransport, type Interception } from "./test-transport.js";
import { VirtualClock } from "./virtual-clock.js";

export interface TestRepriseOptions {
  /** Registers the workflows and sets the dependencies of each process (again after a crash). */
  setup?: (reprise: Reprise) => void | Promise<void>;
  /** The clock to share (default: a new one). */
  clock?: VirtualClock;
  /** Lease of a task, in virtual ms: how long after a crash the work moves on. Default 30 s. */
  ttl?: number;
  /**
   * Sees every request of the current process on its way to the store (crash injection). A
   * process it kills is replaced by a new one at the next step of a drive (`until`, `result`,
   * `advance`, `resolve`), which recovers its executions once their leases run out.
   */
  intercept?: (req: Request) => Interception;
}

/** Bounds on a drive, so a test that cannot finish fails instead of hanging. */
const MAX_TIME_JUMPS = 10_000;
const MAX_IDLE_CHECKS = 100_000;

export class TestReprise {
  readonly clock: VirtualClock;
  readonly store: Store;
  private process!: { reprise: Reprise; transport: TestTransport };
  private readonly started: Promise<void>;
  private restarting: Promise<void> | undefined;

  constructor(private readonly options: TestRepriseOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.store = new ProtocolStore(new MemoryBackend(), { clock: () => this.clock.now() });
    this.started = this.startProcess();
  }

  /** The Reprise of the process running now. */
  get reprise(): Reprise {
    return this.process.reprise;
  }

  /** Resolves once the first process has run its setup. */
  async ready(): Promise<void> {
    await this.started;
  }

  /** Starts (or joins) an execution and drives it, and time, until it finishes; its result, or what it threw. */
  async run<R = unknown>(id: string, func: string, ...args: unknown[]): Promise<R> {
    await this.started;
    await this.process.reprise.beginRun(id, func, ...args);
    return this.result<R>(id);
  }

  /** Drives executions and time until `id` settles; its result, or what it threw. */
  async result<R = unknown>(id: string): Promise<R> {
    await this.until(async () => (await this.record(id))?.state !== "pending");
    return outcomeOf<R>((await this.record(id))!);
  }

  /** Resolves a durable promise from outside, as a person or another system would. */
  async resolve(id: string, value?: unknown): Promise<void> {
    await this.started;
    // A dead process would never answer: the request goes through the one that replaced it.
    await this.restartIfKilled();
    await this.process.reprise.promises.resolve(id, value);
  }

  /**
   * Drives executions and time until the durable promise `id` exists: the workflow has reached
   * the point where it waits on it (for a test that then resolves it, as a person would).
   */
  async waitForPromise(id: string): Promise<void> {
    await this.until(async () => (await this.record(id)) !== undefined);
  }

  /** Runs what can run now, then moves time forward by `ms`, firing what comes due on the way. */
  async advance(ms: number): Promise<void> {
    await this.started;
    const target = this.clock.now() + ms;
    for (let jumps = 0; jumps < MAX_TIME_JUMPS; jumps++) {
      await this.idle();
      const next = await this.nextEvent();
      if (next === undefined || next > target) break;
      await this.jumpTo(next);
    }
    await this.jumpTo(target);
    await this.idle();
  }

  /**
   * Ends the current process as kill -9 would and starts another on the same store. Its
   * executions resume once their leases run out (virtual time: at once, when nothing else runs).
   */
  async crash(): Promise<void> {
    await this.started;
    const dead = this.process;
    dead.transport.crash();
    await dead.reprise.stop().catch(() => undefined);
    await this.startProcess();
  }

  /** Stops the current process and closes the store. */
  async stop(): Promise<void> {
    await this.started.catch(() => undefined);
    await this.process?.reprise.stop();
    await this.store.close();
  }

  /** The record of `id` in the store, if there is one. */
  async record(id: string): Promise<PromiseRecord | undefined> {
    const response = await this.store.apply(action("promise.get", { id }), this.clock.now());
    return response.head.status === 200 ? (response.data as { promise: PromiseRecord }).promise : undefined;
  }

  /** Drives work and time until `done` holds. */
  async until(done: () => Promise<boolean>): Promise<void> {
    await this.started;
    for (let jumps = 0; jumps < MAX_TIME_JUMPS; jumps++) {
      await this.idle();
      if (await done()) return;
      const next = await this.nextEvent();
      if (next === undefined) {
        throw new Error("TestReprise: nothing can move and no timer is pending (is a workflow waiting for a promise the test must resolve?)");
      }
      await this.jumpTo(next);
    }
    throw new Error(`TestReprise: still not done after ${MAX_TIME_JUMPS} jumps of the clock`);
  }

  // -------------------------------------------------------------------------------------------

  private async startProcess(): Promise<void> {
    const transport = new TestTransport(this.store, () => this.clock.now(), this.options.intercept);
    const reprise = new Reprise({ transport, clock: this.clock, ttl: this.options.ttl ?? 30_000, logLevel: "silent", determinism: "off" });
    this.process = { reprise, transport };
    await this.options.setup?.(reprise);
    await reprise.ready();
  }

  /** Replaces a process an interception killed (as kill -9 would) with a new one on the same store. */
  private async restartIfKilled(): Promise<void> {
    // Two callers at once (a drive and a resolve) start one replacement, not two.
    this.restarting ??= (async () => {
      const dead = this.process;
      if (!dead.transport.crashed) return;
      await dead.reprise.stop().catch(() => undefined);
      await this.startProcess();
    })().finally(() => (this.restarting = undefined));
    await this.restarting;
  }

  /** The next moment something is due: a store deadline or an engine sleep. */
  private async nextEvent(): Promise<number | undefined> {
    const stored = await this.store.nextDeadline();
    const slept = this.clock.nextTimer();
    if (stored === undefined) return slept;
    if (slept === undefined) return stored;
    return Math.min(stored, slept);
  }

  private async jumpTo(at: number): Promise<void> {
    this.clock.advanceTo(at);
    await this.store.tick(this.clock.now());
  }

  /** Waits until no request is in flight and no execution of the live process holds a task. */
  private async idle(): Promise<void> {
    for (let checks = 0; checks < MAX_IDLE_CHECKS; checks++) {
      await turn();
      await turn();
      // A process an interception killed runs nothing; its replacement recovers its executions
      // once their leases run out (a jump of the clock away).
      if (this.process.transport.crashed) {
        await this.restartIfKilled();
        continue;
      }
      if (this.process.transport.busy) continue;
      if (!(await this.running())) return;
    }
    throw new Error("TestReprise: an execution kept running (does a step wait for something outside the test?)");
  }

  /** Whether the live process holds an acquired task (an execution is running). */
  private async running(): Promise<boolean> {
    const pid = this.process.reprise.pid;
    const response = await this.store.apply(action("task.search", { state: "acquired", limit: 1000 }), this.clock.now());
    const tasks = response.head.status === 200 ? (response.data as { tasks: Array<{ pid?: string }> }).tasks : [];
    return tasks.some((task) => task.pid === pid);
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

