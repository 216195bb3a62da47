/**
 * The invariants, checked while a seed runs (from what the store applied and answered) and at its
 * end. Each violation names its invariant, so a planted bug can be shown to trip the right one.
 */
import { decodeValue } from "../src/protocol/codec.js";
import type { PromiseRecord, TaskRecord } from "../src/protocol/records.js";
import type { Request, Response } from "../src/protocol/requests.js";
import { TAG } from "../src/protocol/tags.js";
import type { StoreReader } from "./store-node.js";
import type { World } from "./workload.js";

export const INVARIANTS = [
  /** Every execution started completes once faults stop, within a bounded simulated time. */
  "liveness",
  /** …with the result of a fault-free run of the same workload. */
  "same-result",
  /** A settled promise (a step's record) is never seen with another value. */
  "recorded-once",
  /** The workflow used the value the store recorded for each of its steps. */
  "used-recorded-value",
  /** No task is acquired while another process's lease on it is still live. */
  "single-lease",
  /** A write the store accepts comes from the process that holds the task at that version. */
  "stale-write-refused",
  /** Every write the store acknowledged is still there after a store crash. */
  "acked-write-survives",
  /** No timer settles before its deadline. */
  "timer-not-early",
  /** Every timer has settled once a tick passed its deadline. */
  "timer-fires",
  /** A step's effect runs again only after a fault (a crash, a pause, a lost message…). */
  "effect-reruns",
  /** The store's answers and records agree with @resonatehq/sdk's reference server fed the same requests. */
  "parity",
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: Invariant;
  /** Virtual ms since the start. */
  at: number;
  detail: string;
}

const HOLDER_WRITES = new Set(["task.fence", "task.fulfill", "task.suspend", "task.release"]);

interface Lease {
  pid: string;
  version: number;
  expiresAt: number;
}

/** What a write left a promise as, when the store acknowledged it. */
interface Acked {
  state: PromiseRecord["state"];
  data: string | undefined;
}

export class Checker {
  readonly violations: Violation[] = [];
  /** Roots (and every promise) settled, as first seen: state and data. */
  private readonly settled = new Map<string, Acked>();
  private readonly acked = new Map<string, Acked>();
  private readonly leases = new Map<string, Lease>();
  /** Timers not yet seen settled: id → deadline. */
  private readonly timers = new Map<string, number>();
  /** External promises seen created, for the world to settle. */
  readonly externals: string[] = [];

  constructor(
    private readonly read: StoreReader,
    private readonly now: () => number,
    private readonly start: number,
    /**
     * A holder lost its lease (to a fault: healthy holders heartbeat): its write was refused, or
     * the task was acquired again over its expired lease. The moment a fault's damage shows, so a
     * step run again after it is one the fault explains.
     */
    private readonly onLeaseLost: () => void = () => {},
  ) {}

  fail(invariant: Invariant, detail: string): void {
    this.violations.push({ invariant, at: this.now() - this.start, detail });
  }

  /** Processes holding a lease now, as far as the store has answered (faults aim at them). */
  holders(): string[] {
    const now = this.now();
    return [...new Set([...this.leases.values()].filter((lease) => lease.expiresAt > now).map((lease) => lease.pid))].sort();
  }

  /** Whether `pid` holds a live lease on `taskId`, as far as the store has answered. */
  holds(taskId: string, pid: string): boolean {
    const lease = this.leases.get(taskId);
    return lease !== undefined && lease.pid === pid && lease.expiresAt > this.now();
  }

  /** Whether `id` is settled as far as the store has answered. */
  isSettled(id: string): boolean {
    return this.settled.has(id);
  }

  async applied(req: Request, res: Response, from: string): Promise<void> {
    const status = res.head.status;
    const data = res.data as Record<string, unknown>;
    if (status === 200 || status === 300) this.observeAll(data);
    if (status === 409 && HOLDER_WRITES.has(req.kind)) this.onLeaseLost();
    switch (req.kind) {
      case "task.create":
      case "task.acquire": {
        const task = status === 200 ? (data.task as TaskRecord) : undefined;
        if (task?.state === "acquired") this.acquired(task, from);
        if (req.kind === "task.create" && status === 200) this.ack(data.promise as PromiseRecord);
        break;
      }
      case "task.heartbeat":
        if (status === 200) await this.renewed(req.data.pid, req.data.tasks);
        break;
      case "task.release":
      case "task.fulfill":
        if (status === 200) {
          this.holderWrote(req.data.id, req.data.version, from, req.kind);
          this.leases.delete(req.data.id);
          if (req.kind === "task.fulfill") this.ack(data.promise as PromiseRecord);
        }
        break;
      case "task.suspend":
        if (status === 200 || status === 300) this.holderWrote(req.data.id, req.data.version, from, req.kind);
        if (status === 200) this.leases.delete(req.data.id);
        break;
      case "task.fence": {
        if (status !== 200) break;
        this.holderWrote(req.data.id, req.data.version, from, req.kind);
        const inner = data.action as Response;
        if (inner.head.status === 200) this.ack((inner.data as { promise: PromiseRecord }).promise);
        break;
      }
      case "promise.create":
      case "promise.settle":
        if (status === 200) this.ack(data.promise as PromiseRecord);
        break;
      default:
        break;
    }
  }

  /** After each commit and tick: timers that settled early, or that a tick left pending. */
  async afterWork(kind: "commit" | "tick"): Promise<void> {
    const now = this.now();
    for (const [id, deadline] of this.timers) {
      const row = await this.read.promise(id);
      if (row && row.state !== "pending") {
        this.timers.delete(id);
        this.observe(row);
        if (now < deadline) this.fail("timer-not-early", `timer ${id} settled at ${now - this.start} ms, ${deadline - now} ms before its deadline`);
      } else if (kind === "tick" && row && deadline <= now) {
        this.timers.delete(id);
        this.fail("timer-fires", `timer ${id} still pending after a tick at ${now - this.start} ms, past its deadline (${deadline - this.start} ms)`);
      }
    }
  }

  /** After a store restart: every acknowledged write must still be there. */
  async afterStoreCrash(): Promise<void> {
    for (const [id, acked] of this.acked) {
      const row = await this.read.promise(id);
      if (!row) {
        this.fail("acked-write-survives", `promise ${id} was acknowledged (${acked.state}) but is gone after the store crash`);
        continue;
      }
      if (acked.state !== "pending" && (row.state !== acked.state || row.value.data !== acked.data)) {
        this.fail("acked-write-survives", `promise ${id} was acknowledged ${acked.state} but is ${row.state} after the store crash`);
      }
    }
  }

  /** At the end: effects ran again only after faults, and workflows saw what was recorded. */
  async finish(world: World, seen: Map<string, string[]>): Promise<void> {
    for (const [stepId, runs] of world.effects) {
      for (let i = 1; i < runs.length; i++) {
        // Explained: a fault came in between, or one of the two ran in a holder that had already
        // lost its lease (paused, cut off) and did not know yet — the fault's one extra run.
        const [before, after] = [runs[i - 1]!, runs[i]!];
        if (after.epoch === before.epoch && !after.stale && !before.stale) {
          this.fail("effect-reruns", `step ${stepId} ran ${runs.length} times; run ${i + 1} (at ${after.at - this.start} ms, ${after.pid}) came with no fault since run ${i} (${before.pid})`);
          break;
        }
      }
    }
    for (const [root, values] of seen) {
      for (const value of values) {
        const stepId = value.slice(0, value.lastIndexOf("#"));
        const row = await this.read.promise(stepId);
        const recorded = row && row.state === "resolved" ? decodeValue(row.value) : undefined;
        if (recorded !== value) {
          this.fail("used-recorded-value", `${root} used ${JSON.stringify(value)} for step ${stepId}, whose record holds ${JSON.stringify(recorded)}`);
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------

  private acquired(task: TaskRecord, pid: string): void {
    const previous = this.leases.get(task.id);
    const now = this.now();
    if (previous && previous.pid !== pid && previous.expiresAt > now) {
      this.fail("single-lease", `${task.id} v${task.version} acquired by ${pid} while ${previous.pid}'s lease (v${previous.version}) ran until ${previous.expiresAt - this.start} ms`);
    }
    // Acquired again while its last holder neither suspended, fulfilled nor released it.
    if (previous) this.onLeaseLost();
    this.leases.set(task.id, { pid, version: task.version, expiresAt: task.expiresAt ?? now });
  }

  private async renewed(pid: string, tasks: ReadonlyArray<{ id: string; version: number }>): Promise<void> {
    for (const ref of tasks) {
      const lease = this.leases.get(ref.id);
      if (!lease || lease.pid !== pid || lease.version !== ref.version) continue;
      const row = await this.read.task(ref.id);
      if (row?.state === "acquired" && row.pid === pid && row.version === ref.version && row.expiresAt !== undefined) lease.expiresAt = row.expiresAt;
    }
  }

  private holderWrote(taskId: string, version: number, from: string, kind: string): void {
    const lease = this.leases.get(taskId);
    if (!lease || lease.pid !== from || lease.version !== version) {
      const holder = lease ? `${lease.pid} at v${lease.version}` : "nobody";
      this.fail("stale-write-refused", `${kind} on ${taskId} v${version} from ${from} was accepted, but the task is held by ${holder}`);
    }
  }

  private ack(promise: PromiseRecord | undefined): void {
    if (!promise) return;
    this.acked.set(promise.id, { state: promise.state, data: promise.value.data });
  }

  private observeAll(data: Record<string, unknown>): void {
    if (data.promise) this.observe(data.promise as PromiseRecord);
    if (Array.isArray(data.preload)) for (const record of data.preload as PromiseRecord[]) this.observe(record);
    const inner = data.action as Response | undefined;
    if (inner && inner.head.status === 200) this.observe((inner.data as { promise: PromiseRecord }).promise);
  }

  private observe(promise: PromiseRecord): void {
    if (promise.state === "pending") {
      if (promise.tags[TAG.timer] === "true" && !this.timers.has(promise.id) && !this.settled.has(promise.id)) this.timers.set(promise.id, promise.timeoutAt);
      if (promise.tags[TAG.kind] === "promise" && !this.externals.includes(promise.id)) this.externals.push(promise.id);
      return;
    }
    const first = this.settled.get(promise.id);
    if (!first) {
      this.settled.set(promise.id, { state: promise.state, data: promise.value.data });
      return;
    }
    if (first.state !== promise.state || first.data !== promise.value.data) {
      this.fail(
        "recorded-once",
        `${promise.id} was recorded ${first.state} ${JSON.stringify(decodeSafe(first.data))} and later seen ${promise.state} ${JSON.stringify(decodeSafe(promise.value.data))}`,
      );
      this.settled.set(promise.id, { state: promise.state, data: promise.value.data });
    }
  }
}

function decodeSafe(data: string | undefined): unknown {
  try {
    return decodeValue({ data });
  } catch {
    return data;
  }
}
