/**
 * The determinism guard: while a generator workflow's body runs (the synchronous slice between two
 * yields; never inside steps), the classic replay bugs are trapped: reading the clock, drawing
 * random numbers, starting timers, calling the network. Each is reported with the user's source
 * line and the durable call to use instead; in "error" mode the call throws.
 *
 * What it cannot see: async workflows (their body runs between awaits, interleaved with other
 * code, so globals cannot be swapped for it alone), and functions captured before the workflow ran
 * (`const now = Date.now` at module load, `import { randomUUID } from "node:crypto"`).
 */
import { RepriseError } from "./errors.js";

export type DeterminismMode = "warn" | "error" | "off";

export interface DeterminismViolation {
  /** What the workflow called, e.g. `Date.now()`. */
  call: string;
  /** The durable equivalent, e.g. `yield* ctx.date.now()`. */
  instead: string;
  /** The user's source line (file:line:column), when the stack shows it. */
  location?: string;
  executionId: string;
  func: string;
}

/** Thrown by a trapped call in "error" mode. */
export class DeterminismError extends RepriseError {
  override name = "DeterminismError";
  constructor(violation: DeterminismViolation) {
    super("96", "Determinism", describeViolation(violation));
  }
}

export function describeViolation(v: DeterminismViolation): string {
  return `${v.func} (${v.executionId}) called ${v.call} in its workflow body${v.location ? ` at ${v.location}` : ""}: ` +
    `it returns something else on every replay; use ${v.instead}`;
}

interface Where {
  executionId: string;
  func: string;
}

const TRAPS = {
  dateNow: { call: "Date.now()", instead: "yield* ctx.date.now()" },
  newDate: { call: "new Date()", instead: "new Date(yield* ctx.date.now())" },
  random: { call: "Math.random()", instead: "yield* ctx.math.random()" },
  randomUUID: { call: "crypto.randomUUID()", instead: "yield* ctx.run(() => crypto.randomUUID())" },
  setTimeout: { call: "setTimeout()", instead: "yield* ctx.sleep(ms)" },
  setInterval: { call: "setInterval()", instead: "yield* ctx.sleep(ms) in a loop" },
  fetch: { call: "fetch()", instead: "yield* ctx.run(step) with the request inside the step" },
} as const;

type Trap = (typeof TRAPS)[keyof typeof TRAPS];

export class DeterminismGuard {
  /** Locations already reported: a loop in a workflow warns once, not once per replay. */
  private readonly reported = new Set<string>();
  private where: Where | undefined;

  constructor(
    private readonly mode: "warn" | "error",
    private readonly report: (violation: DeterminismViolation) => void,
  ) {}

  /** Runs one synchronous slice of a workflow body with the classic replay bugs trapped. */
  run<T>(where: Where, slice: () => T): T {
    if (this.where) return slice();
    this.where = where;
    const restore = this.install();
    try {
      return slice();
    } finally {
      restore();
      this.where = undefined;
    }
  }

  private install(): () => void {
    const g = globalThis as unknown as Record<string, unknown> & { crypto?: { randomUUID?: () => string } };
    const OriginalDate = Date;
    const originals = {
      now: Date.now,
      random: Math.random,
      setTimeout: g.setTimeout,
      setInterval: g.setInterval,
      fetch: g.fetch,
      randomUUID: g.crypto?.randomUUID,
    };
    const hit = (trap: Trap) => this.hit(trap);
    Date.now = () => (hit(TRAPS.dateNow), originals.now.call(Date));
    Math.random = () => (hit(TRAPS.random), originals.random.call(Math));
    g.Date = new Proxy(OriginalDate, {
      construct(target, args: unknown[], newTarget) {
        if (args.length === 0) hit(TRAPS.newDate);
        return Reflect.construct(target, args, newTarget === g.Date ? target : newTarget) as object;
      },
      apply(target, thisArg, args: unknown[]) {
        hit(TRAPS.newDate);
        return Reflect.apply(target, thisArg, args) as unknown;
      },
    });
    const wrap = (name: "setTimeout" | "setInterval" | "fetch", trap: Trap) => {
      const original = originals[name];
      if (typeof original !== "function") return;
      g[name] = (...args: unknown[]) => (hit(trap), (original as (...a: unknown[]) => unknown)(...args));
    };
    wrap("setTimeout", TRAPS.setTimeout);
    wrap("setInterval", TRAPS.setInterval);
    wrap("fetch", TRAPS.fetch);
    const crypto = g.crypto;
    if (crypto && typeof originals.randomUUID === "function") {
      crypto.randomUUID = () => (hit(TRAPS.randomUUID), originals.randomUUID!.call(crypto));
    }
    return () => {
      Date.now = originals.now;
      Math.random = originals.random;
      g.Date = OriginalDate;
      g.setTimeout = originals.setTimeout;
      g.setInterval = originals.setInterval;
      if (originals.fetch !== undefined) g.fetch = originals.fetch;
      if (crypto && originals.randomUUID) crypto.randomUUID = originals.randomUUID;
    };
  }

  private hit(trap: Trap): void {
    const where = this.where;
    if (!where) return;
    const violation: DeterminismViolation = { ...trap, executionId: where.executionId, func: where.func, location: callerLocation() };
    if (this.mode === "error") throw new DeterminismError(violation);
    const key = `${trap.call}@${violation.location ?? where.func}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.report(violation);
  }
}

/** The first stack frame outside this file: the user's line that made the call. */
function callerLocation(): string | undefined {
  const stack = new Error().stack?.split("\n").slice(1) ?? [];
  const here = import.meta.url.replace(/^file:\/\//, "");
  for (const line of stack) {
    if (line.includes(here) || line.includes("determinism.ts") || line.includes("determinism.js")) continue;
    const match = /\(([^()]+)\)\s*$/.exec(line) ?? /at\s+(\S+)\s*$/.exec(line);
    return match?.[1];
  }
  return undefined;
}
