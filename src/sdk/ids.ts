/** Checks ids at the call site that chose them, so a bad one fails early with a clear message. */
import { InvalidArgumentError } from "../engine/errors.js";
import { isValidId, MAX_ID_LENGTH } from "../protocol/limits.js";

/** The store's own rule (protocol/limits), with a message that says which part is wrong. */
export function checkId(id: unknown, field: string): asserts id is string {
  if (isValidId(id)) return;
  if (typeof id !== "string") throw new InvalidArgumentError(`${field}: expected a string id, got ${typeof id}`);
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(`${field}: expected 1-${MAX_ID_LENGTH} characters, got ${id.length}`);
  }
  throw new InvalidArgumentError(`${field}: expected characters without NUL or lone surrogates, got ${JSON.stringify(id)}`);
}
