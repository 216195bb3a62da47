/**
 * How an execution learns it is asked to cancel, and what the engine writes when it cancels what
 * it awaits. The request is a durable promise of its own, `${executionId}.cancel` (tagged
 * `reprise:kind=cancel`): it lives under the execution's id, so it comes with the execution's
 * history (the preload) and a replay sees it at no cost. Its param holds the reason.
 */
import { encodeValue } from "../protocol/codec.js";
import type { PromiseRecord, Value } from "../protocol/records.js";
import { cancelRequestId, TAG } from "../protocol/tags.js";
import { CancelledError } from "./errors.js";
import { decodeQuietly } from "./replay.js";

/** The `reprise:kind` of a cancellation request. */
export const CANCEL_KIND = "cancel";

/** The id of the promise that records a request to cancel an execution. */
export { cancelRequestId };

/** Whether `record` is a cancellation request (of any execution). */
export function isCancelRequest(record: PromiseRecord | undefined): record is PromiseRecord {
  return record?.tags[TAG.kind] === CANCEL_KIND;
}

/** The execution a cancellation request is for, or undefined when `record` is not one. */
export function cancelledExecutionOf(record: PromiseRecord): string | undefined {
  if (!isCancelRequest(record) || !record.id.endsWith(".cancel")) return undefined;
  return record.id.slice(0, -".cancel".length);
}

/** The reason a request carries, if it is a string. */
export function reasonOf(request: PromiseRecord): string | undefined {
  const reason = decodeQuietly(request.param);
  return typeof reason === "string" ? reason : undefined;
}

/** A cancellation request's param. */
export function encodeReason(reason: string | undefined): Value {
  return reason === undefined ? {} : encodeValue(reason, "the reason");
}

/** What a promise the cancellation settled holds: the CancelledError its waiter sees on every replay. */
export function cancelledValue(executionId: string, reason: string | undefined): Value {
  return encodeValue(new CancelledError(executionId, reason));
}
