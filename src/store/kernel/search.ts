/**
 * Paging for the search kinds (cursors: protocol/cursor.ts); every backend orders searches by id.
 */
import { decodeCursor, encodeCursor } from "../../protocol/cursor.js";
import { approxRecordBytes, DEFAULT_SEARCH_LIMIT, MAX_PAGE_BYTES } from "../../protocol/limits.js";

export interface Page<T> {
  items: T[];
  cursor?: string;
}

/** Reads up to `limit` rows after `after` (exclusive), ordered by id. */
export type RowReader<T> = (limit: number, after: string | undefined) => Promise<T[]>;

/** Fetches one page of at most `limit` items after `cursor`, and at most about MAX_PAGE_BYTES. */
export async function fetchPage<T extends { id: string }>(
  limit: number | undefined,
  cursor: string | undefined,
  fetch: RowReader<T>,
): Promise<Page<T>> {
  const read = await readBounded(limit ?? DEFAULT_SEARCH_LIMIT, cursor === undefined ? undefined : decodeCursor(cursor), MAX_PAGE_BYTES, fetch);
  const last = read.items.at(-1);
  return read.more && last ? { items: read.items, cursor: encodeCursor(last.id) } : { items: read.items };
}

/** A few rows first: until their size is seen, a row may be as large as the value limit allows. */
export const FIRST_READ = 8;

export interface BoundedRead<T> {
  items: T[];
  /** Rows follow the last item (the read stopped at `limit` or at the byte budget). */
  more: boolean;
  /** `approxRecordBytes` of the items, summed. */
  bytes: number;
}

/**
 * Up to `limit` rows after `after`, ending after the row whose bytes pass `budget` (at least one
 * row, so paging makes progress). The rows are read in steps sized by the largest row seen so far,
 * so what is read but not returned stays within about one budget too; a step asks for one row
 * more than it may keep, so `more` is known without another query in the common case.
 */
export async function readBounded<T extends { id: string }>(
  limit: number,
  after: string | undefined,
  budget: number,
  fetch: RowReader<T>,
): Promise<BoundedRead<T>> {
  const items: T[] = [];
  let bytes = 0;
  let largest = 1;
  let from = after;
  let step = Math.min(limit + 1, FIRST_READ);
  for (;;) {
    const rows = await fetch(step, from);
    for (const row of rows) {
      if (items.length >= limit || (items.length > 0 && bytes >= budget)) return { items, more: true, bytes };
      const size = approxRecordBytes(row);
      items.push(row);
      bytes += size;
      largest = Math.max(largest, size);
    }
    if (rows.length < step) return { items, more: false, bytes };
    from = rows.at(-1)!.id;
    // Full: one row tells whether more follow. Otherwise as many as the rest of the budget may hold.
    const full = items.length >= limit || bytes >= budget;
    step = full ? 1 : Math.min(limit - items.length + 1, Math.floor((budget - bytes) / largest) + 1);
  }
}
