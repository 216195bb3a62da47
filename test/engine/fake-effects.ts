/** An in-memory Effects for engine tests: a map of promise records and a counter of I/O calls. */
import type { ChildSpec, Effects } from "../../src/engine/effects.js";
import type { PromiseRecord, Value } from "../../src/protocol/records.js";
import { TAG } from "../../src/protocol/tags.js";

export class FakeEffects implements Effects {
  readonly records = new Map<string, PromiseRecord>();
  readonly dependencies = new Map<string, unknown>();
  clock = 1_000_000;
  creates = 0;
  settles = 0;
  /** Let the engine run fresh steps while their create is in flight. */
  pipelining = false;
  ordered = true;

  now(): number {
    return this.clock;
  }

  async delay(ms: number): Promise<void> {
    this.clock += ms;
  }

  async create(spec: ChildSpec): Promise<PromiseRecord> {
    this.creates++;
    const existing = this.records.get(spec.id);
    if (existing) return existing;
    const record: PromiseRecord = {
      id: spec.id,
      state: "pending",
      param: spec.param,
      value: {},
      tags: { ...spec.tags, [TAG.kind]: spec.kind, [TAG.func]: spec.func, [TAG.parent]: spec.parentId },
      timeoutAt: spec.timeoutAt,
      createdAt: this.clock,
    };
    this.records.set(spec.id, record);
    return record;
  }

  async settle(id: string, state: "resolved" | "rejected", value: Value): Promise<PromiseRecord> {
    this.settles++;
    const record = this.records.get(id);
    if (!record) throw new Error(`settle of unknown ${id}`);
    if (record.state !== "pending") return record;
    const settled = { ...record, state, value, settledAt: this.clock };
    this.records.set(id, settled);
    return settled;
  }

  /** What the outside world does: settle a pending promise (a timer firing, a person clicking). */
  external(id: string, state: PromiseRecord["state"], value: Value = {}): void {
    const record = this.records.get(id);
    if (!record) throw new Error(`no ${id}`);
    this.records.set(id, { ...record, state, value, settledAt: this.clock });
  }

  isUnrecorded(id: string): boolean {
    return this.pipelining && !this.records.has(id);
  }

  observed: string[] = [];

  observe<T>(call: { id: string; kind: string }, run: () => Promise<T>): Promise<T> {
    this.observed.push(`${call.kind} ${call.id}`);
    return run();
  }

  getDependency(name: string): unknown {
    return this.dependencies.get(name);
  }

  defaultTarget(): string {
    return "poll://any@default";
  }

  resolveTarget(target: string): string {
    return target.includes("://") ? target : `poll://any@${target}`;
  }
}
