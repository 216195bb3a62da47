/**
 * Effects for one acquired task: every write is fenced by the task's version, so a process that
 * lost its lease cannot write, and promises preloaded at acquire time (or seen earlier in this
 * run) are answered without a round trip.
 */
import { LeaseLostError, type ChildSpec, type Effects, type Settled } from "../engine/effects.js";
import { StoreError } from "../engine/errors.js";
import { ATTEMPTS_HEADER } from "../protocol/outcomes.js";
import type { PromiseRecord } from "../protocol/records.js";
import { isFenceResponse, type StepRecord } from "../protocol/step-record.js";
import type { Transport } from "../transport/transport.js";
import type { PromiseCreateReq, PromiseSettleReq, Response } from "../protocol/requests.js";
import { TAG } from "../protocol/tags.js";
import { cancelExecution, type Send } from "../engine/cancel-request.js";
import { createChecked, isEmpty, valueChecked } from "./checked-writes.js";
import { action, type ProtocolClient } from "./client.js";

export interface TaskRef {
  id: string;
  version: number;
}

export interface TaskEffectsOptions {
  client: ProtocolClient;
  task: TaskRef;
  /** Promises of this execution already seen (preloaded, or written earlier in this run). */
  known: Map<string, PromiseRecord>;
  /** Whether `known` holds the execution's whole recorded history (the preload was not cut off). */
  historyComplete: boolean;
  /**
   * The value limit of an embedded store: writes whose parts pass sdk/checked-writes.ts are sent
   * marked validated under it, so the store does not validate them again. Absent: all are validated.
   */
  checkedUnder?: number;
}

export class TaskEffects implements Effects {
  private readonly client: ProtocolClient;
  private readonly task: TaskRef;
  private readonly known: Map<string, PromiseRecord>;
  private readonly historyComplete: boolean;
  private readonly checkedUnder: number | undefined;
  /** The tags of the last step recorded with no tags of its own (see tagsOf). */
  private lastStepTags: Readonly<Record<string, string>> | undefined;

  // The options' parts are kept, not the options object: one of these lives per execution in flight.
  constructor(options: TaskEffectsOptions) {
    this.client = options.client;
    this.task = options.task;
    this.known = options.known;
    this.historyComplete = options.historyComplete;
    this.checkedUnder = options.checkedUnder;
  }

  lookup(id: string): PromiseRecord | "absent" | undefined {
    const seen = this.known.get(id);
    if (seen) return seen;
    // The preload holds every promise under the execution's id; one named by the workflow itself
    // (`ctx.options({ id })`) may live anywhere, so only the store can tell.
    return this.historyComplete && isUnder(id, this.task.id) ? "absent" : undefined;
  }

  async read(id: string): Promise<PromiseRecord | undefined> {
    const response = await this.client.send("promise.get", { id });
    if (response.head.status === 404) return undefined;
    if (response.head.status !== 200) throw new StoreError(response.head.status, `promise.get ${id} failed: ${String(response.data)}`);
    const record = (response.data as { promise: PromiseRecord }).promise;
    this.known.set(id, record);
    return record;
  }

  create(spec: ChildSpec): Promise<PromiseRecord> {
    return this.fenced(
      action("promise.create", { id: spec.id, timeoutAt: spec.timeoutAt, param: spec.param, tags: this.tagsOf(spec) }),
      this.markedIf(createChecked(spec, undefined, this.checkedUnder)),
    );
  }

  record(spec: ChildSpec, result: Settled): Promise<PromiseRecord> {
    const create: PromiseCreateReq["data"] = {
      id: spec.id,
      timeoutAt: spec.timeoutAt,
      param: spec.param,
      tags: this.tagsOf(spec),
      result: { state: recordable(result.state), value: withAttempts(result), ...(result.startedAt === undefined ? {} : { startedAt: result.startedAt }) },
    };
    const checked = this.markedIf(createChecked(spec, result, this.checkedUnder));
    const recordStep = this.client.transport.recordStep;
    if (checked !== undefined && recordStep !== undefined) return this.recordedStep(recordStep, { taskId: this.task.id, version: this.task.version, create, checkedUnder: checked });
    return this.fenced(action("promise.create", create), checked);
  }

  settle(id: string, result: Settled): Promise<PromiseRecord> {
    // The id is one this execution read or wrote: only the value can be out of bounds.
    return this.fenced(action("promise.settle", { id, state: result.state, value: withAttempts(result) }), this.markedIf(valueChecked(result.value, this.checkedUnder)));
  }

  cancelChild(id: string, reason: string | undefined): Promise<void> {
    const send: Send = (kind, data) => this.client.send(kind, data);
    return cancelExecution(send, id, { reason, origin: this.task.id, write: (request) => this.fenced(request) }).then(() => undefined);
  }

  private tagsOf(spec: ChildSpec): Record<string, string> {
    // The steps of an execution mostly repeat their tags: one frozen object for them all, whose
    // JSON the SQL stores write once (sql-rows.ts `tagsText`).
    const shared = spec.kind === "step" && isEmpty(spec.tags);
    const last = this.lastStepTags;
    if (shared && last !== undefined && last[TAG.func] === spec.func && last[TAG.parent] === spec.parentId) return last;
    // The same keys in the same order as `{ ...spec.tags, [TAG.kind]: … }`, but a spread followed by
    // computed keys makes V8 build a slow (dictionary) object: 4x the cost, serializing included.
    const tags = Object.assign({}, spec.tags, {
      [TAG.kind]: spec.kind,
      [TAG.func]: spec.func,
      [TAG.parent]: spec.parentId,
      [TAG.origin]: this.task.id,
      [TAG.branch]: spec.kind === "rpc" ? spec.id : this.task.id,
    });
    if (shared) this.lastStepTags = Object.freeze(tags);
    return tags;
  }

  private describe(inner: PromiseCreateReq | PromiseSettleReq): string {
    return describeWrite(inner, inner.kind === "promise.create" ? inner.data.tags : this.known.get(inner.data.id)?.tags);
  }

  /** The limit to send a write marked validated under: the embedded store's, when the write's parts passed their checks. */
  private markedIf(checked: boolean): number | undefined {
    return checked ? this.checkedUnder : undefined;
  }

  /** `checkedUnder`: see TaskEffectsOptions; undefined has the store validate the write. */
  private fenced(inner: PromiseCreateReq | PromiseSettleReq, checkedUnder?: number): Promise<PromiseRecord> {
    const data = { id: this.task.id, version: this.task.version, action: inner };
    // A `then`, not an async function: no frame kept per write in flight (see Execution.runHere).
    let sent: Promise<Response<"task.fence">>;
    try {
      sent = this.client.send("task.fence", data, checkedUnder);
    } catch (error) {
      return Promise.reject(error);
    }
    return sent.then((response) => this.fenceAnswered(inner, response));
  }

  /** A step recorded by the embedded store's lane: the record made, or the answer of the `task.fence` it stood for. */
  private recordedStep(recordStep: NonNullable<Transport["recordStep"]>, step: StepRecord): Promise<PromiseRecord> {
    // A `then` rather than an async function: no frame kept alive per step while its write waits (see Execution.runHere).
    return recordStep(step).then((answer) => {
      if (isFenceResponse(answer)) return this.fenceAnswered(action("promise.create", step.create), answer);
      this.known.set(answer.id, answer);
      return answer;
    });
  }

  private fenceAnswered(inner: PromiseCreateReq | PromiseSettleReq, response: Response<"task.fence">): PromiseRecord {
    if (response.head.status === 409 || response.head.status === 404) {
      throw new LeaseLostError(`task ${this.task.id} v${this.task.version} is no longer held here: ${String(response.data)}`);
    }
    // The refusal is about a write the user did not make themselves: name the step behind it.
    if (response.head.status !== 200) throw new StoreError(response.head.status, `${this.describe(inner)} was refused: ${String(response.data)}`);
    const answer = (response.data as { action: Response<"promise.create"> }).action;
    if (answer.head.status !== 200) {
      throw new StoreError(answer.head.status, `${this.describe(inner)} failed with ${answer.head.status}: ${String(answer.data)}`);
    }
    const record = (answer.data as { promise: PromiseRecord }).promise;
    this.known.set(record.id, record);
    return record;
  }
}

/** What a fenced write records, for errors: `the result of step "o.1" (function charge)`. */
function describeWrite(inner: PromiseCreateReq | PromiseSettleReq, tags: Readonly<Record<string, string>> | undefined): string {
  const kind = tags?.[TAG.kind] ?? "promise";
  const func = tags?.[TAG.func] === undefined ? "" : ` (function ${tags[TAG.func]})`;
  const what = `${kind} ${JSON.stringify(inner.data.id)}${func}`;
  if (inner.kind === "promise.settle" || inner.data.result !== undefined) return `recording the result of ${what}`;
  return `creating ${what}`;
}

/** A call recorded already settled ran here: only a cancellation settles rejected_canceled, and it settles pending records. */
function recordable(state: Settled["state"]): "resolved" | "rejected" {
  if (state === "rejected_canceled") throw new Error("a call that ran here is recorded resolved or rejected");
  return state;
}

function withAttempts(result: Settled): Settled["value"] {
  // Object.assign rather than a spread followed by a computed key (see tagsOf).
  return { ...result.value, headers: Object.assign({}, result.value.headers, { [ATTEMPTS_HEADER]: String(result.attempts) }) };
}

/** Whether `id` is under `parent` (`${parent}.…`), with no prefix string made to ask. */
function isUnder(id: string, parent: string): boolean {
  return id.length > parent.length && id.charCodeAt(parent.length) === 46 /* . */ && id.startsWith(parent);
}
