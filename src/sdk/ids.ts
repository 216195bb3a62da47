/** Checks ids at the call site that chose them, so a bad one fails early with a clear message. */
import { InvalidArgumentError } from "../engine/errors.js";

export const MAX_ID_LENGTH = 1024;

export function checkId(id: unknown, field: string): asserts id is string {
  if (typeof id !== "string") throw new InvalidArgumentError(`${field}: expected a string id, got ${typeof id}`);
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(`${field}: expected 1-${MAX_ID_LENGTH} characters, got ${id.length}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(id)) {
    throw new InvalidArgumentError(`${field}: expected no whitespace or control characters, got ${JSON.stringify(id)}`);
  }
}
