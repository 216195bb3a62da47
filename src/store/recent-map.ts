/**
 * A map bounded by count that keeps what was set most recently, in two generations: a set goes to
 * the young one, and when it holds `bound` entries it becomes the old one and the old one is
 * dropped whole. So the last `bound` entries set are always kept (at most twice as many), and
 * every operation is a hash lookup or two. (A single Map evicting its first key does not scale:
 * each delete leaves a hole at the front of V8's ordered table, and `keys().next()` walks past
 * all of them; with the bound reached an eviction cost about 1.5 µs where a lookup costs
 * 0.1–0.2.) A read does not promote: what is worth keeping is set again as it changes.
 */
export class RecentMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly bound: number) {}

  get(key: string): V | undefined {
    const value = this.young.get(key);
    return value === undefined ? this.old.get(key) : value;
  }

  set(key: string, value: V): void {
    this.old.delete(key);
    this.young.set(key, value);
    if (this.young.size >= this.bound) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
