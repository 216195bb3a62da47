/** RecentMap: the bounded map of recent rows both SQL backends keep (committed-rows.ts, known-rows.ts). */
import { describe, expect, it } from "vitest";
import { RecentMap } from "../../src/store/recent-map.js";

describe("RecentMap", () => {
  it("keeps at least the last entries set up to its bound, dropping the oldest first", () => {
    const bound = 100;
    const map = new RecentMap<number>(bound);
    for (let n = 0; n < bound; n++) map.set(`k${n}`, n);
    map.set("k0", 0); // set again: now among the most recent
    expect(map.get("k2")).toBe(2); // a read changes nothing
    for (let n = 0; n < bound - 1; n++) map.set(`m${n}`, n);
    // The last `bound` sets: k0 and every m.
    expect(map.get("k0")).toBe(0);
    for (let n = 0; n < bound - 1; n++) expect(map.get(`m${n}`)).toBe(n);
    // What was set before them and never again is gone (k2 was only read).
    expect(map.get("k2")).toBeUndefined();
    expect(map.get("k1")).toBeUndefined();
    map.delete("k0");
    expect(map.get("k0")).toBeUndefined();
    map.clear();
    expect(map.size).toBe(0);
    expect(map.get("m1")).toBeUndefined();
  });

  it("never holds more than twice its bound, and always the latest value of a key", () => {
    const bound = 50;
    const map = new RecentMap<number>(bound);
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const latest = new Map<string, number>();
    for (let n = 0; n < 5_000; n++) {
      const key = `r${random(300)}`;
      if (random(5) === 0) {
        map.delete(key);
        latest.delete(key);
      } else {
        map.set(key, n);
        latest.set(key, n);
      }
      expect(map.size).toBeLessThanOrEqual(2 * bound);
      const found = map.get(key);
      expect(found === undefined || found === latest.get(key)).toBe(true);
    }
    for (const [key, value] of latest) {
      const found = map.get(key);
      expect(found === undefined || found === value).toBe(true);
    }
  });
});
