/**
 * A map kept in key order, with a journal so that a transaction's writes can be undone: the first
 * write of a key in a transaction remembers what the key held before.
 */
export class Table<V> {
  private readonly rows = new Map<string, V>();
  /** Every key, sorted, for ordered scans and prefix ranges. */
  private readonly keys: string[] = [];
  private journal: Map<string, V | undefined> | undefined;

  get(key: string): V | undefined {
    return this.rows.get(key);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  set(key: string, value: V): void {
    this.remember(key);
    this.put(key, value);
  }

  delete(key: string): void {
    this.remember(key);
    this.remove(key);
  }

  values(): IterableIterator<V> {
    return this.rows.values();
  }

  /** Rows in key order whose key is greater than `after` and starts with `prefix`. */
  *ordered(after: string | undefined, prefix = ""): Generator<V> {
    const from = after !== undefined && after >= prefix ? after : prefix;
    let i = lowerBound(this.keys, from);
    if (after !== undefined && this.keys[i] === after) i++;
    for (; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) return;
      yield this.rows.get(key)!;
    }
  }

  begin(): void {
    this.journal = new Map();
  }

  commit(): void {
    this.journal = undefined;
  }

  rollback(): void {
    for (const [key, before] of this.journal ?? []) {
      if (before === undefined) this.remove(key);
      else this.put(key, before);
    }
    this.journal = undefined;
  }

  private remember(key: string): void {
    if (this.journal && !this.journal.has(key)) this.journal.set(key, this.rows.get(key));
  }

  private put(key: string, value: V): void {
    if (!this.rows.has(key)) this.keys.splice(lowerBound(this.keys, key), 0, key);
    this.rows.set(key, value);
  }

  private remove(key: string): void {
    if (!this.rows.delete(key)) return;
    this.keys.splice(lowerBound(this.keys, key), 1);
  }
}

/** The first index whose key is not less than `key`. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
