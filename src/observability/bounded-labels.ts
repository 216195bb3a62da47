/**
 * A bounded set of label values. Function names come from a client-chosen tag (`reprise:func`),
 * and Prometheus keeps one series per distinct label value for the life of the process, so
 * unbounded names grow `/metrics` (and the heap) without limit. The first `max` distinct names
 * seen keep their own label; every later one, and any name too long to be a function's, reads
 * as OTHER_LABEL. The server keeps no registry of functions, so "first seen" is the only order.
 */

/** Distinct function names with their own label; later ones read as `other`. */
export const MAX_FUNC_LABELS = 200;
/** A label value longer than this reads as `other`: no real function name is this long. */
export const MAX_LABEL_LENGTH = 256;
export const OTHER_LABEL = "other";

export class BoundedLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`label cap: expected a whole number from 0, got ${String(max)}`);
  }

  /** `value` if it has (or may take) a label of its own, else OTHER_LABEL. */
  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (value.length > MAX_LABEL_LENGTH || value === OTHER_LABEL || this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(value);
    return value;
  }
}
