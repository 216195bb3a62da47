/**
 * Effects for one acquired task: every create and settle is fenced by the task's version, so a
 * process that lost its lease cannot write, and promises preloaded at acquire time (or seen
 * earlier in this run) are answered without a round trip.
 */
import type { Span } from "@opentelemetry/api";
import { LeaseLostError, type ChildSpec, type Effects, type ObservedCall } from "../engine/effects.js";
import { recordFailure, withExecutionSpan, withStepSpan } from "../observability/tracing.js";
import { StoreError } from "../engine/errors.js";
import type { PromiseRecord, Value } from "../protocol/records.js";
import type { Response } from "../protocol/requests.js";
import { ADDRESS, parseAddress, TAG, toAddress } from "../protocol/tags.js";
import { action, type ProtocolClient } from "./client.js";

export const ATTEMPTS_HEADER = "reprise:attempts";

export interface TaskRef {
  id: string;
  version: number;
}

export interface TaskEffectsOptions {
  client: ProtocolClient;
  task: TaskRef;
  /** Promises of this execution already seen (preloaded, or created earlier in this run). */
  known: Map<string, PromiseRecord>;
  dependencies: Map<string, unknown>;
  group: string;
  /** Whether `known` holds the execution's whole recorded history (the preload was not cut off). */
  historyComplete: boolean;
  /** Whether requests reach the store in the order they are sent. */
  ordered: boolean;
  /** Debug log of every call that runs, with its execution and step ids; absent when debug is off. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export class TaskEffects implements Effects {
  private readonly client: ProtocolClient;
  private readonly task: TaskRef;
  private readonly known: Map<string, PromiseRecord>;
  readonly ordered: boolean;

  constructor(private readonly options: TaskEffectsOptions) {
    this.client = options.client;
    this.task = options.task;
    this.known = options.known;
    this.ordered = options.ordered;
  }

  isUnrecorded(id: string): boolean {
    return this.options.historyComplete && !this.known.has(id);
  }

  now(): number {
    return Date.now();
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async create(spec: ChildSpec): Promise<PromiseRecord> {
    const seen = this.known.get(spec.id);
    if (seen && seen.state !== "pending") return seen;
    const tags = {
      ...spec.tags,
      [TAG.kind]: spec.kind,
      [TAG.func]: spec.func,
      [TAG.parent]: spec.parentId,
      [TAG.origin]: this.task.id,
      [TAG.branch]: spec.kind === "rpc" ? spec.id : this.task.id,
    };
    const create = action("promise.create", { id: spec.id, timeoutAt: spec.timeoutAt, param: spec.param, tags });
    const record = await this.fenced(create);
    this.known.set(record.id, record);
    return record;
  }

  async settle(id: string, state: "resolved" | "rejected", value: Value, attempts: number): Promise<PromiseRecord> {
    const headers = { ...value.headers, [ATTEMPTS_HEADER]: String(attempts) };
    const record = await this.fenced(action("promise.settle", { id, state, value: { ...value, headers } }));
    this.known.set(record.id, record);
    return record;
  }

  observe<T extends { ok: boolean; error?: unknown }>(call: ObservedCall, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const traced = (span: Span) =>
      run().then((result) => {
        if (!result.ok) recordFailure(span, result.error);
        this.options.log?.(call.kind === "root" ? "run finished" : "call finished", {
          executionId: this.task.id,
          ...(call.kind === "root" ? {} : { stepId: call.id }),
          func: call.func,
          kind: call.kind,
          ok: result.ok,
          ms: Date.now() - started,
        });
        return result;
      });
    return call.kind === "root" ? withExecutionSpan(call.id, call.func, traced) : withStepSpan({ ...call, kind: call.kind }, traced);
  }

  getDependency(name: string): unknown {
    if (!this.options.dependencies.has(name)) {
      const known = [...this.options.dependencies.keys()];
      throw new Error(`dependency "${name}" is not set; call reprise.setDependency("${name}", value)` + (known.length ? ` (set: ${known.join(", ")})` : ""));
    }
    return this.options.dependencies.get(name);
  }

  defaultTarget(): string {
    return ADDRESS.anycast(this.options.group);
  }

  resolveTarget(target: string): string {
    const parsed = parseAddress(target);
    if (!parsed) throw new Error(`target "${target}" is neither a group name nor an address like poll://any@group`);
    return toAddress(target);
  }

  private async fenced(inner: ReturnType<typeof action<"promise.create">> | ReturnType<typeof action<"promise.settle">>): Promise<PromiseRecord> {
    const response = await this.client.send("task.fence", { id: this.task.id, version: this.task.version, action: inner });
    if (response.head.status === 409 || response.head.status === 404) {
      throw new LeaseLostError(`task ${this.task.id} v${this.task.version} is no longer held here: ${String(response.data)}`);
    }
    if (response.head.status !== 200) throw new StoreError(response.head.status, `task.fence failed: ${String(response.data)}`);
    const answer = (response.data as { action: Response<"promise.create"> }).action;
    if (answer.head.status !== 200) {
      throw new StoreError(answer.head.status, `${inner.kind} ${inner.data.id} failed with ${answer.head.status}: ${String(answer.data)}`);
    }
    return (answer.data as { promise: PromiseRecord }).promise;
  }
}
