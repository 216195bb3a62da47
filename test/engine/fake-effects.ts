/** An in-memory Effects for engine tests: a map of promise records, a virtual clock, and counts of writes. */
import type { Clock } from "../../src/engine/clock.js";
import type { AnyFunction } from "../../src/engine/commands.js";
import type { DeterminismGuard } from "../../src/engine/determinism.js";
import type { ChildSpec, Effects, Settled } from "../../src/engine/effects.js";
import { Execution, type RootSpec } from "../../src/engine/execution.js";
import type { Outcome } from "../../src/engine/outcome.js";
import type { PromiseRecord, Value } from "../../src/protocol/records.js";
import { TAG } from "../../src/protocol/tags.js";
import { decodeValue, encodeValue } from "../../src/protocol/codec.js";

/** Runs `func` (a generator or async workflow) as the execution "wf", named after the function. */
export function run(effects: FakeEffects, func: AnyFunction, args: unknown[] = []): Promise<Outcome> {
  return effects.run({ id: "wf", name: func.name, func, args });
}

/** The decoded value (or error) an execution completed with; throws if it did not complete. */
export function completedValue(outcome: Outcome): unknown {
  if (outcome.type !== "completed") throw new Error(`expected completed, got ${JSON.stringify(outcome)}`);
  return decodeValue(outcome.value);
}

export class FakeEffects implements Effects {
  readonly records = new Map<string, PromiseRecord>();
  readonly dependencies = new Map<string, unknown>();
  clock = 1_000_000;
  creates = 0;
  /** One-write records of calls that ran here. */
  recordsWritten = 0;
  settles = 0;
  reads = 0;
  /** Whether lookups may answer "absent" (the whole history is at hand) instead of asking the store. */
  historyComplete = true;
  /** A lookup that wrongly says "absent": the store's answer to the write must still win. */
  forgetful = false;

  /** The engine's clock: waits between step attempts advance virtual time at once. */
  readonly time: Clock = {
    now: () => this.clock,
    sleep: async (ms) => {
      this.clock += ms;
    },
    defer: (callback) => void setImmediate(callback),
  };

  run(root: Omit<RootSpec, "timeoutAt"> & { timeoutAt?: number }, guard?: DeterminismGuard): Promise<Outcome> {
    const options = { effects: this, clock: this.time, group: "default", dependencies: this.dependencies, guard };
    return new Execution({ timeoutAt: this.clock + 3_600_000, ...root }, options).run();
  }

  lookup(id: string): PromiseRecord | "absent" | undefined {
    if (this.forgetful) return "absent";
    return this.records.get(id) ?? (this.historyComplete ? "absent" : undefined);
  }

  async read(id: string): Promise<PromiseRecord | undefined> {
    this.reads++;
    return this.records.get(id);
  }

  async create(spec: ChildSpec): Promise<PromiseRecord> {
    this.creates++;
    const existing = this.records.get(spec.id);
    if (existing) return existing;
    const record = this.newRecord(spec);
    this.records.set(spec.id, record);
    return record;
  }

  async record(spec: ChildSpec, result: Settled): Promise<PromiseRecord> {
    this.recordsWritten++;
    const existing = this.records.get(spec.id);
    if (existing) return existing;
    const record: PromiseRecord = { ...this.newRecord(spec), state: result.state, value: result.value, settledAt: this.clock };
    this.records.set(spec.id, record);
    return record;
  }

  async settle(id: string, result: Settled): Promise<PromiseRecord> {
    this.settles++;
    const record = this.records.get(id);
    if (!record) throw new Error(`settle of unknown ${id}`);
    if (record.state !== "pending") return record;
    const settled = { ...record, state: result.state, value: result.value, settledAt: this.clock };
    this.records.set(id, settled);
    return settled;
  }

  /** Child executions this execution asked to cancel (their requests are recorded, as the SDK does). */
  readonly childCancels: string[] = [];

  async cancelChild(id: string, reason: string | undefined): Promise<void> {
    this.childCancels.push(id);
    const requestId = `${id}.cancel`;
    if (this.records.has(requestId)) return;
    this.records.set(requestId, {
      id: requestId,
      state: "resolved",
      param: reason === undefined ? {} : encodeValue(reason),
      value: {},
      tags: { [TAG.kind]: "cancel", [TAG.origin]: this.origin },
      timeoutAt: this.clock + 3_600_000,
      createdAt: this.clock,
      settledAt: this.clock,
    });
  }

  /** The execution id these effects write for (TaskEffects tags its writes with it as their origin). */
  origin = "wf";

  /** What the outside world does: settle a pending promise (a timer firing, a person clicking). */
  external(id: string, state: PromiseRecord["state"], value: Value = {}): void {
    const record = this.records.get(id);
    if (!record) throw new Error(`no ${id}`);
    this.records.set(id, { ...record, state, value, settledAt: this.clock });
  }

  private newRecord(spec: ChildSpec): PromiseRecord {
    return {
      id: spec.id,
      state: "pending",
      param: spec.param,
      value: {},
      tags: { ...spec.tags, [TAG.kind]: spec.kind, [TAG.func]: spec.func, [TAG.parent]: spec.parentId },
      timeoutAt: spec.timeoutAt,
      createdAt: this.clock,
    };
  }
}
