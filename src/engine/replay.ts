/**
 * How a recorded promise answers a call on replay, and how a replay is checked against what was
 * recorded: the same kind of call to the same function at the same position, or a divergence.
 */
import { encodeCall } from "../protocol/calls.js";
import { decodeValue, encodeValue } from "../protocol/codec.js";
import { rejectionOf } from "../protocol/outcomes.js";
import type { PromiseRecord, Value } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import type { ChildKind, Settled } from "./effects.js";
import { asCancelledError, DivergenceError, PromiseRejectedError, toError } from "./errors.js";

export type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What a workflow sees for a recorded promise. */
export function resultOf(record: PromiseRecord): Result {
  switch (record.state) {
    case "resolved":
      return { ok: true, value: decodeValue(record.value) };
    case "rejected": {
      const error = decodeValue(record.value);
      return { ok: false, error: asCancelledError(error) ?? error ?? rejectedError(record) };
    }
    case "rejected_canceled":
      // Settled by an execution's cancellation, it holds the CancelledError its waiter sees.
      return { ok: false, error: asCancelledError(decodeQuietly(record.value)) ?? rejectedError(record) };
    case "rejected_timedout":
      return { ok: false, error: rejectedError(record) };
    case "pending":
      return { ok: false, error: new Error(`${record.id} is still pending`) };
  }
}

function rejectedError(record: PromiseRecord): PromiseRejectedError {
  const { code, name, message } = rejectionOf(record)!;
  return new PromiseRejectedError(code, name, message);
}

/**
 * What a call that just ran here reads back from its record, when that needs no decoding: the
 * record holds what this run encoded (`settled`) and the value is a primitive, which JSON gives
 * back as itself (all but -0, which it writes as 0). A replay decodes the same record to the same
 * value; anything else is decoded from the record, as a replay would.
 */
export function recordedAsRun(stored: PromiseRecord, settled: Settled, result: Result): Result | undefined {
  if (!result.ok || stored.state !== "resolved" || settled.state !== "resolved" || stored.value.data !== settled.value.data) return undefined;
  const value = result.value;
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return result;
    case "number":
      return Object.is(value, -0) ? undefined : result;
    default:
      return value === null ? result : undefined;
  }
}

/** A value another SDK (or a person) stored may not be ours to decode: undefined then. */
export function decodeQuietly(value: Value): unknown {
  try {
    return decodeValue(value);
  } catch {
    return undefined;
  }
}

/** The divergence, if `record` was made by a different call than the one replayed at its position. */
export function divergenceOf(record: PromiseRecord, kind: ChildKind, func: string): DivergenceError | undefined {
  const recordedKind = record.tags[TAG.kind];
  if (recordedKind === undefined) return undefined;
  const recordedFunc = record.tags[TAG.func];
  if (recordedKind === kind && recordedFunc === func) return undefined;
  return new DivergenceError(record.id, `${recordedKind} ${recordedFunc}`, `${kind} ${func}`);
}

/** A call's result in its stored form; a value that cannot be stored fails the call instead. */
export function settledOf(result: Result, attempts: number, what: string, startedAt?: number): Settled {
  if (result.ok) {
    try {
      return { state: "resolved", value: encodeValue(result.value, what), attempts, startedAt };
    } catch (error) {
      return { state: "rejected", value: encodeValue(toError(error)), attempts, startedAt };
    }
  }
  return { state: "rejected", value: encodeValue(toError(result.error)), attempts, startedAt };
}

/** A call's arguments as its promise's param. */
export function encodeArgs(func: string, args: unknown[], required: boolean): Value {
  try {
    return encodeCall(func, args);
  } catch (error) {
    // A local step may take live objects (clients, callbacks): they are passed again on every
    // replay, so only remote calls need storable arguments.
    if (required) throw error;
    return encodeValue({ func, args: "(not serializable)", version: 1 });
  }
}
