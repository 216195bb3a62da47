/**
 * Paging for the search kinds. A cursor is the last id of the previous page, encoded so that
 * callers treat it as opaque; every backend orders searches by id.
 */
import { DEFAULT_SEARCH_LIMIT, isValidId } from "../../protocol/limits.js";

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, "utf8").toString("base64url");
}

/** The id a cursor stands for, or undefined when it is not a cursor this store handed out. */
export function decodeCursor(cursor: string): string | undefined {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  return isValidId(id) && encodeCursor(id) === cursor ? id : undefined;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

/**
 * Fetches one page of at most `limit` items after `cursor`. Asks for one more row than it returns
 * so that a cursor is handed out only when another page exists.
 */
export async function fetchPage<T extends { id: string }>(
  limit: number | undefined,
  cursor: string | undefined,
  fetch: (limit: number, after: string | undefined) => Promise<T[]>,
): Promise<Page<T>> {
  const size = limit ?? DEFAULT_SEARCH_LIMIT;
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const rows = await fetch(size + 1, after);
  const items = rows.slice(0, size);
  const last = items.at(-1);
  return rows.length > size && last ? { items, cursor: encodeCursor(last.id) } : { items };
}
