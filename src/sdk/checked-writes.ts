/**
 * The SDK's own per-step writes, checked where they are built. A step's record, a settle, a
 * take-over and a fulfilment are made of parts the SDK made itself or read from the store (task
 * ids, versions, its own tags and headers, values it encoded); only a few parts can be out of
 * bounds (a call's id, a function's name, a value's size, a deadline), and those are checked here
 * against the protocol's own limits. A request that passes is marked validated
 * (protocol/validation.ts `markValidated`), so the embedded store does not walk it again: a step
 * is validated once, where its parts were chosen, not again in the store.
 *
 * A request that fails a check here is simply not marked: the store's validator then checks it
 * and refuses it with the message any other client gets. So these checks may only ever be
 * stricter than the validator, never looser: anything unusual (tags a user chose, an idempotency
 * key) is left to the validator. test/sdk/checked-writes.test.ts holds them to that.
 */
import type { ChildSpec, Settled } from "../engine/effects.js";
import { fitsInBytes, isStorableText, isValidId, isValidTime, MAX_TAG_VALUE_LENGTH } from "../protocol/limits.js";
import { ATTEMPTS_HEADER } from "../protocol/outcomes.js";
import type { Value } from "../protocol/records.js";

/**
 * A step's or child's create (with or without its result), as TaskEffects builds it from `spec`.
 * `maxValueBytes` undefined (no embedded store to vouch to): nothing is checked.
 */
export function createChecked(spec: ChildSpec, result: Settled | undefined, maxValueBytes: number | undefined): boolean {
  return (
    maxValueBytes !== undefined &&
    // Tags a user chose (and routing tags) follow rules of their own: the validator checks them.
    isEmpty(spec.tags) &&
    isValidId(spec.id) &&
    funcNameChecked(spec.func) &&
    isValidTime(spec.timeoutAt) &&
    valueChecked(spec.param, maxValueBytes) &&
    (result === undefined || (valueChecked(result.value, maxValueBytes) && (result.startedAt === undefined || isValidTime(result.startedAt))))
  );
}

/**
 * A value the SDK encoded: data within the size limit, and the SDK's own headers only. Also all a
 * settle (fenced, or a task's fulfilment) needs checked: its promise is one the SDK read or wrote.
 */
export function valueChecked(value: Value, maxValueBytes: number | undefined): boolean {
  return (
    maxValueBytes !== undefined &&
    (value.data === undefined || (typeof value.data === "string" && fitsInBytes(value.data, maxValueBytes))) &&
    ownHeaders(value.headers)
  );
}

/** No headers, or only the attempts count the SDK adds to a result; any other header is the validator's to check. */
function ownHeaders(headers: Value["headers"]): boolean {
  if (headers === undefined) return true;
  for (const key in headers) {
    if (!Object.hasOwn(headers, key)) continue;
    if (key !== ATTEMPTS_HEADER || !ATTEMPTS.test(headers[key]!)) return false;
  }
  return true;
}

const ATTEMPTS = /^\d{1,15}$/;

/** Function names already found fit for a tag value; a process runs few distinct functions. */
const checkedNames = new Set<string>();
const MAX_CHECKED_NAMES = 10_000;

/** Whether `name` may be a tag value (`reprise:func`): checked once per name. */
function funcNameChecked(name: string): boolean {
  if (checkedNames.has(name)) return true;
  if (typeof name !== "string" || name.length > MAX_TAG_VALUE_LENGTH || !isStorableText(name)) return false;
  if (checkedNames.size < MAX_CHECKED_NAMES) checkedNames.add(name);
  return true;
}

/** No own keys: a call's tags when the user chose none. */
export function isEmpty(tags: object): boolean {
  for (const key in tags) if (Object.hasOwn(tags, key)) return false;
  return true;
}
