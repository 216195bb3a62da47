/** Reproducible randomness for crash points: the same seed picks the same points on every run. */
import { SeededRandom as Mulberry32 } from "../../sim/random.js";

export class SeededRandom extends Mulberry32 {
  constructor(readonly seed: number) {
    super(seed);
  }

  /** One of `items`; a crash test always has some to pick from. */
  override pick<T>(items: readonly T[]): T {
    const picked = super.pick(items);
    if (picked === undefined) throw new Error("pick from an empty list");
    return picked;
  }
}
