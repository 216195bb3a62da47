/**
 * Search cursors: the last id of the previous page, encoded so that callers treat it as opaque.
 * Every backend orders searches by id, so the id is all a cursor needs to hold.
 */
import { isValidId } from "./limits.js";

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, "utf8").toString("base64url");
}

/** The id a cursor stands for, or undefined when it is not a cursor a store handed out. */
export function decodeCursor(cursor: string): string | undefined {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  return isValidId(id) && encodeCursor(id) === cursor ? id : undefined;
}
