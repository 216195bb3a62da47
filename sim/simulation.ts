/**
 * One seed's run: the real store (kernel + backend), real Reprise workers (engine, worker,
 * task effects, admission, sweeper) in two groups, a simulated network between them, and one
 * virtual clock; the plan's workload starts executions and its faults break things. Everything
 * that happens "later" is an event in one queue (see event-queue.ts): after each event the
 * simulator lets the work it set off run to its next wait (a network reply, a timer) before it
 * takes the next, so the same plan always makes the same run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../src/engine/clock.js";
import { encodeValue, decodeValue } from "../src/protocol/codec.js";
import type { Message, Envelope } from "../src/protocol/messages.js";
import type { PromiseRecord } from "../src/protocol/records.js";
import type { Request, Response } from "../src/protocol/requests.js";
import { isAddressedTo, parseAddress } from "../src/protocol/tags.js";
import { action } from "../src/sdk/client.js";
import { Reprise } from "../src/sdk/reprise.js";
import type { Transport } from "../src/transport/transport.js";
import { EventQueue, type EventOwner } from "./event-queue.js";
import { Checker, type Violation } from "./invariants.js";
import { ParityOracle } from "./parity.js";
import { FAULT_WINDOW_MS, LEASE_TTL_MS, withoutFaults, type Fault, type Plan } from "./plan.js";
import { SeededRandom } from "./random.js";
import { StoreNode, describeRequest, type BackendKind, type StoreFaults } from "./store-node.js";
import { MAIN_GROUP, REMOTE_GROUP, SIGNAL_VALUE, World, registerWorkload, type WorkflowResult } from "./workload.js";

/** A client gives up on a request after this long without an answer (as an HTTP timeout). */
export const REQUEST_TIMEOUT_MS = 5_000;
/** After the faults stop, every execution must finish within this much simulated time. */
export const SETTLE_BOUND_MS = 20 * 60_000;
/** Events one seed may take; a run that needs more is reported, not left spinning. */
export const MAX_EVENTS = 200_000;
const START = Date.UTC(2030, 0, 1);

/** Planted bugs (tests only): wrappers the simulator owns, around the real parts. */
export interface PlantedBugs {
  store?: StoreFaults;
  /** Rewrites an answer on its way back to a worker (a faulty transport or codec). */
  rewriteAnswer?: (req: Request, res: Response) => Response;
}

export interface SimOptions {
  backend?: BackendKind;
  /** Keep the event trace (every delivery, crash, timer, write). */
  trace?: boolean;
  bugs?: PlantedBugs;
  /** Compare results with a fault-free run (default true). */
  compare?: boolean;
}

export interface SimResult {
  violations: Violation[];
  trace: string[];
  events: number;
  /** Simulated ms the run took. */
  virtualMs: number;
  /** Executions completed / started. */
  completed: number;
  started: number;
  /** Each execution's outcome, normalized (no ids, no effect values). */
  outcomes: Map<string, string>;
  /** Effect steps that ran more than once (after faults). */
  reruns: number;
}

class SimProcess implements EventOwner {
  alive = true;
  pausedUntil = 0;
  readonly pid: string;
  reprise!: Reprise;
  onMessage: ((message: Message) => void) | undefined;
  subscribedGroup: string | undefined;

  constructor(
    readonly slot: Slot,
    readonly incarnation: number,
  ) {
    this.pid = `${slot.group}-${slot.index}.${incarnation}`;
  }
}

interface Slot {
  group: string;
  index: number;
  current: SimProcess;
  partitionedUntil: number;
}

export class Simulation {
  private now = START;
  private readonly queue = new EventQueue();
  private readonly rng: SeededRandom;
  private readonly store: StoreNode;
  private readonly checker: Checker;
  private readonly parity: ParityOracle;
  private readonly world: World;
  private readonly slots: Slot[] = [];
  private readonly trace: string[] = [];
  private readonly seen = new Map<string, string[]>();
  private readonly signalled = new Set<string>();
  private readonly startedRoots = new Set<string>();
  /** The SQLite store's folder (backend "sqlite"), removed when the run ends. */
  private readonly sqliteDir: string | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly options: SimOptions = {},
  ) {
    this.rng = new SeededRandom(plan.netSeed);
    this.world = new World(
      () => this.now,
      (taskId, pid) => this.checker.holds(taskId, pid),
    );
    const backend = options.backend ?? "memory";
    this.sqliteDir = backend === "sqlite" ? mkdtempSync(join(tmpdir(), "reprise-sim-")) : undefined;
    const path = this.sqliteDir && join(this.sqliteDir, "store.db");
    this.store = new StoreNode(
      backend,
      {
        now: () => this.now,
        at: (time, run) => void this.queue.push(time, run),
        message: (envelope) => this.route(envelope),
        applied: (req, res, from) => {
          this.parity.applied(req, res, this.now);
          return this.checker.applied(req, res, from);
        },
        ticked: (at) => this.parity.tick(at),
        afterWork: async (kind) => {
          await this.checker.afterWork(kind);
          this.signalExternals();
        },
        trace: (text) => this.log("store", text),
        commitDelay: () => this.rng.int(0, 3),
      },
      options.bugs?.store,
      path,
    );
    this.checker = new Checker(this.store, () => this.now, START, () => void this.world.epoch++);
    this.parity = new ParityOracle((detail) => this.checker.fail("parity", detail));
  }

  async run(): Promise<SimResult> {
    const { plan } = this;
    try {
      await this.store.start();
      for (let i = 0; i < plan.workers; i++) await this.boot(this.addSlot(MAIN_GROUP, i), 0);
      for (let i = 0; i < plan.remotes; i++) await this.boot(this.addSlot(REMOTE_GROUP, i), 0);
      for (const spec of plan.executions) this.queue.push(START + spec.at, () => this.startExecution(spec.id, spec.shape, spec.arg, spec.via));
      for (const fault of plan.faults) this.queue.push(START + fault.at, () => this.inject(fault));
      const events = await this.loop();
      return await this.conclude(events);
    } finally {
      for (const slot of this.slots) this.kill(slot.current);
      await this.store.close();
      if (this.sqliteDir) rmSync(this.sqliteDir, { recursive: true, force: true });
    }
  }

  // ---------------------------------------------------------------------------------- the loop

  private async loop(): Promise<number> {
    const deadline = START + FAULT_WINDOW_MS + SETTLE_BOUND_MS;
    let events = 0;
    while (events < MAX_EVENTS) {
      if (this.allSettled()) return events;
      const event = this.queue.pop();
      if (!event) break;
      if (event.at > deadline) break;
      if (event.owner && !event.owner.alive) continue;
      this.now = Math.max(this.now, event.at);
      if (event.owner && event.owner.pausedUntil > this.now) {
        this.queue.requeue(event, event.owner.pausedUntil);
        continue;
      }
      events++;
      await event.run();
      // Let what the event set off run until it waits on the network or the clock again.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (events >= MAX_EVENTS) this.checker.fail("liveness", `still running after ${MAX_EVENTS} events`);
    return events;
  }

  private allSettled(): boolean {
    return this.plan.executions.every((spec) => this.checker.isSettled(spec.id));
  }

  private async conclude(events: number): Promise<SimResult> {
    // The run ended with the store down (its restart beyond the bound): bring it back to read it.
    if (!this.store.up) {
      await this.store.restart();
      await this.checker.afterStoreCrash();
    }
    const outcomes = new Map<string, string>();
    let completed = 0;
    for (const spec of this.plan.executions) {
      const row = await this.store.promise(spec.id);
      if (!row || row.state === "pending") {
        this.checker.fail("liveness", `${spec.id} (${spec.shape} ${spec.arg}) ${row ? "is still pending" : "was never created"} ${SETTLE_BOUND_MS / 60_000} min after the faults stopped`);
        continue;
      }
      completed++;
      const { outcome, seen } = outcomeOf(row);
      outcomes.set(spec.id, outcome);
      if (seen.length > 0) this.seen.set(spec.id, seen);
    }
    await this.checker.finish(this.world, this.seen);
    await this.parity.finish(this.now, this.store);
    if (this.options.compare !== false && (this.plan.faults.length > 0 || this.plan.dropPerMille > 0 || this.plan.duplicatePerMille > 0)) {
      for (const spec of this.plan.executions) {
        const got = outcomes.get(spec.id);
        if (got === undefined) continue;
        const expected = await faultFreeOutcome(spec.shape, spec.arg, this.options.backend ?? "memory");
        if (got !== expected) this.checker.fail("same-result", `${spec.id} (${spec.shape} ${spec.arg}) ended with ${got}; the fault-free run ended with ${expected}`);
      }
    }
    return {
      violations: this.checker.violations,
      trace: this.trace,
      events,
      virtualMs: this.now - START,
      completed,
      started: this.plan.executions.length,
      outcomes,
      reruns: [...this.world.effects.values()].filter((runs) => runs.length > 1).length,
    };
  }

  // ------------------------------------------------------------------------------- processes

  private addSlot(group: string, index: number): Slot {
    const slot = { group, index, partitionedUntil: 0 } as Slot;
    this.slots.push(slot);
    return slot;
  }

  private async boot(slot: Slot, incarnation: number): Promise<void> {
    const proc = new SimProcess(slot, incarnation);
    slot.current = proc;
    const clock = this.clockFor(proc);
    proc.reprise = new Reprise({
      transport: this.transportFor(proc),
      clock,
      pid: proc.pid,
      group: slot.group,
      ttl: LEASE_TTL_MS,
      logLevel: "silent",
      determinism: "off",
    });
    registerWorkload(proc.reprise, slot.group, this.world, clock);
    this.log(proc.pid, "started");
    await proc.reprise.ready();
  }

  /** kill -9: nothing of the process runs again; its replies and timers are dropped. */
  private kill(proc: SimProcess): void {
    if (!proc.alive) return;
    proc.alive = false;
    proc.onMessage = undefined;
    // Stops its real resources (none leave the process: the transport and clock are ours).
    void proc.reprise.stop().catch(() => undefined);
  }

  private clockFor(proc: SimProcess): Clock {
    return {
      now: () => this.now,
      sleep: (ms) => new Promise<void>((resolve) => void this.queue.push(this.now + Math.max(0, ms), resolve, proc)),
      defer: (callback) => void this.queue.push(this.now, callback, proc),
      every: (ms, callback) => {
        let stopped = false;
        const beat = (): void => {
          if (stopped) return;
          callback();
          this.queue.push(this.now + ms, beat, proc);
        };
        this.queue.push(this.now + ms, beat, proc);
        return () => (stopped = true);
      },
    };
  }

  private transportFor(proc: SimProcess): Transport {
    return {
      send: <R extends Request>(req: R) => this.request(proc, req) as Promise<Response<R["kind"]>>,
      subscribe: async (group, _pid, onMessage) => {
        proc.subscribedGroup = group;
        proc.onMessage = onMessage;
      },
      close: async () => {
        proc.onMessage = undefined;
      },
    };
  }

  // --------------------------------------------------------------------------------- network

  private faultsOn(): boolean {
    return this.now < START + FAULT_WINDOW_MS;
  }

  private cut(proc: SimProcess): boolean {
    return proc.slot.partitionedUntil > this.now || !this.store.up;
  }

  private lost(): boolean {
    const lost = this.faultsOn() && this.rng.chance(this.plan.dropPerMille / 1000);
    if (lost) this.world.epoch++;
    return lost;
  }

  private delay(): number {
    return this.rng.int(1, this.plan.maxDelay);
  }

  private request(proc: SimProcess, req: Request): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      // A dead process sends nothing (what it had queued in memory died with it).
      if (!proc.alive) return;
      let answered = false;
      this.queue.push(
        this.now + REQUEST_TIMEOUT_MS,
        () => {
          if (answered) return;
          answered = true;
          reject(new Error(`simulated network: no answer to ${req.kind} within ${REQUEST_TIMEOUT_MS} ms`));
        },
        proc,
      );
      if (proc.slot.partitionedUntil > this.now || this.lost()) {
        if (proc.slot.partitionedUntil > this.now) this.world.epoch++;
        this.log(proc.pid, `send ${describeRequest(req)}: lost`);
        return;
      }
      this.log(proc.pid, `send ${describeRequest(req)}`);
      this.queue.push(this.now + this.delay(), () =>
        this.store.receive(req, proc.pid, (res) => {
          if (proc.slot.partitionedUntil > this.now || this.lost()) {
            if (proc.slot.partitionedUntil > this.now) this.world.epoch++;
            this.log(proc.pid, `answer to ${req.kind}: lost`);
            return;
          }
          const answer = this.options.bugs?.rewriteAnswer ? this.options.bugs.rewriteAnswer(req, res) : res;
          this.queue.push(
            this.now + this.delay(),
            () => {
              if (answered) return;
              answered = true;
              resolve(answer);
            },
            proc,
          );
        }),
      );
    });
  }

  /**
   * A committed message goes to one live subscriber of the group (anycast) or to its pid. A
   * doubled anycast message picks its own subscriber: two workers may hear one execute.
   */
  private route(envelope: Envelope): void {
    const address = parseAddress(envelope.address);
    if (!address) return;
    const candidates = this.slots
      .map((slot) => slot.current)
      .filter((proc) => proc.alive && proc.onMessage && proc.subscribedGroup && isAddressedTo(envelope.address, proc.subscribedGroup, proc.pid));
    const what = `${envelope.message.kind} ${envelope.message.kind === "execute" ? `${envelope.message.data.task.id} v${envelope.message.data.task.version}` : envelope.message.data.promise.id}`;
    if (candidates.length === 0) {
      this.log("store", `${what}: nobody to hear it`);
      return;
    }
    const copies = this.faultsOn() && this.rng.chance(this.plan.duplicatePerMille / 1000) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const target = (address.cast === "uni" ? candidates[0] : this.rng.pick(candidates))!;
      if (target.slot.partitionedUntil > this.now || this.lost()) {
        this.log("store", `${what} to ${target.pid}: lost`);
        continue;
      }
      this.queue.push(
        this.now + this.delay(),
        () => {
          this.log(target.pid, `hears ${what}${copy > 0 ? " (duplicate)" : ""}`);
          target.onMessage?.(envelope.message);
        },
        target,
      );
    }
  }

  // ------------------------------------------------------------------------ workload & world

  private startExecution(id: string, shape: string, arg: number, via: number): void {
    const mains = this.slots.filter((slot) => slot.group === MAIN_GROUP);
    const candidates = [...mains.slice(via % mains.length), ...mains.slice(0, via % mains.length)].map((slot) => slot.current);
    const proc = candidates.find((p) => p.alive && p.pausedUntil <= this.now);
    const retry = (): void => void this.queue.push(this.now + 1_000, () => this.startExecution(id, shape, arg, via + 1));
    if (!proc) return retry();
    let confirmed = false;
    this.log(proc.pid, `beginRun ${id} (${shape} ${arg})`);
    proc.reprise.beginRun(id, shape, arg).then(
      () => {
        confirmed = true;
        this.startedRoots.add(id);
      },
      (error: unknown) => {
        this.log(proc.pid, `beginRun ${id} failed: ${(error as Error).message}`);
      },
    );
    // Unconfirmed (lost, refused or its process died) by then: the user tries again elsewhere.
    this.queue.push(this.now + REQUEST_TIMEOUT_MS + 1_000, () => {
      if (!confirmed && !this.startedRoots.has(id)) this.startExecution(id, shape, arg, via + 1);
    });
  }

  /** The outside world settles each external promise a few seconds after it appears. */
  private signalExternals(): void {
    for (const id of this.checker.externals) {
      if (this.signalled.has(id)) continue;
      this.signalled.add(id);
      this.queue.push(this.now + this.rng.int(500, 4_000), () => this.settleExternal(id));
    }
  }

  private async settleExternal(id: string): Promise<void> {
    const res = await this.store.applyDirect(action("promise.settle", { id, state: "resolved", value: encodeValue(SIGNAL_VALUE) }), "world");
    if (!res) this.queue.push(this.now + 1_000, () => this.settleExternal(id));
  }

  // ---------------------------------------------------------------------------------- faults

  private async inject(fault: Fault): Promise<void> {
    this.world.epoch++;
    switch (fault.kind) {
      case "crash-worker": {
        const slot = this.target(fault.worker);
        const dead = slot.current;
        if (!dead.alive) return;
        this.log(dead.pid, "CRASH (kill -9)");
        this.kill(dead);
        this.queue.push(this.now + fault.downFor, async () => {
          this.world.epoch++;
          await this.boot(slot, dead.incarnation + 1);
        });
        return;
      }
      case "crash-store": {
        if (!this.store.up) return;
        this.log("store", "CRASH");
        await this.store.crash();
        this.queue.push(this.now + fault.downFor, async () => {
          this.world.epoch++;
          await this.store.restart();
          await this.checker.afterStoreCrash();
        });
        return;
      }
      case "pause-worker": {
        const proc = this.target(fault.worker).current;
        if (!proc.alive) return;
        proc.pausedUntil = Math.max(proc.pausedUntil, this.now + fault.for);
        this.log(proc.pid, `PAUSED for ${fault.for} ms`);
        // It resumes where it stopped, its lease perhaps gone: what it runs next is the fault's doing.
        this.queue.push(proc.pausedUntil, () => void this.world.epoch++);
        return;
      }
      case "partition": {
        const slot = this.target(fault.worker);
        slot.partitionedUntil = Math.max(slot.partitionedUntil, this.now + fault.for);
        this.log(slot.current.pid, `PARTITIONED from the store for ${fault.for} ms`);
        this.queue.push(slot.partitionedUntil, () => void this.world.epoch++);
        return;
      }
      case "clock-jump":
        this.now += fault.by;
        this.log("clock", `JUMPS ${fault.by} ms forward`);
        return;
      case "step-throws":
        // Not added up (and at most 3 per step, World.serviceCheck): within every step's retries.
        this.world.failNext = Math.max(this.world.failNext, fault.count);
        this.log("world", `the next ${fault.count} step call(s) THROW`);
        return;
    }
  }

  /** The worker a fault hits: one that holds a lease now if any does (an idle one has little to lose). */
  private target(index: number): Slot {
    const busy = this.checker.holders();
    const pid = busy[index % Math.max(1, busy.length)];
    const holder = this.slots.find((slot) => slot.current.pid === pid && slot.current.alive);
    return holder ?? this.slots[index % this.slots.length]!;
  }

  private log(actor: string, text: string): void {
    if (!this.options.trace) return;
    this.trace.push(`${((this.now - START) / 1000).toFixed(3).padStart(9)}s  ${actor.padEnd(10)} ${text}`);
  }
}

/** An execution's outcome without what legitimately differs between runs (ids, effect runs). */
function outcomeOf(row: PromiseRecord): { outcome: string; seen: string[] } {
  const decoded = decodeValue(row.value);
  if (row.state === "resolved") {
    const result = decoded as WorkflowResult;
    return { outcome: `resolved ${JSON.stringify(result?.v)}`, seen: Array.isArray(result?.seen) ? result.seen : [] };
  }
  const error = decoded as { name?: string; message?: string } | undefined;
  const message = (error?.message ?? "").split(row.id).join("<id>");
  return { outcome: `${row.state} ${error?.name ?? "?"}: ${message}`, seen: [] };
}

const faultFree = new Map<string, string>();

/** The outcome of one execution of `shape(arg)` with no faults (cached: it depends on nothing else). */
export async function faultFreeOutcome(shape: string, arg: number, backend: BackendKind): Promise<string> {
  const key = `${shape}:${arg}`;
  let known = faultFree.get(key);
  if (known === undefined) {
    const plan = withoutFaults({ netSeed: 1, workers: 1, remotes: 1, executions: [{ id: "e0", shape: shape as Plan["executions"][number]["shape"], arg, at: 0, via: 0 }], faults: [], dropPerMille: 0, duplicatePerMille: 0, maxDelay: 1 });
    const result = await new Simulation(plan, { backend: backend === "sqlite" ? "memory" : backend, compare: false }).run();
    known = result.outcomes.get("e0") ?? `not completed (${result.violations.map((v) => v.detail).join("; ")})`;
    faultFree.set(key, known);
  }
  return known;
}
