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
  /** The trapping stand-ins, made once: a slice only swaps them in and out. */
  private readonly traps: Traps;
  /** What the traps replaced during the slice running now (refilled by each slice: no allocation per yield). */
  private readonly saved: Traps = current();

  constructor(
    private readonly mode: "warn" | "error",
    private readonly report: (violation: DeterminismViolation) => void,
  ) {
    this.traps = makeTraps((trap) => this.hit(trap));
  }

  /** Runs one synchronous slice of a workflow body with the classic replay bugs trapped. */
  run<T>(where: Where, slice: () => T): T {
    if (this.where) return slice();
    this.where = where;
    save(this.saved);
    swapIn(this.traps);
    try {
      return slice();
    } finally {
      swapIn(this.saved);
      this.where = undefined;
    }
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

/** The globals the guard swaps; undefined where this runtime has none (fetch, crypto). */
interface Traps {
  dateNow: () => number;
  Date: DateConstructor;
  random: () => number;
  setTimeout: unknown;
  setInterval: unknown;
  fetch: unknown;
  randomUUID: unknown;
}

type Globals = Record<string, unknown> & { crypto?: Record<string, unknown> };

function current(): Traps {
  const g = globalThis as unknown as Globals;
  return {
    dateNow: Date.now,
    Date: g.Date as DateConstructor,
    random: Math.random,
    setTimeout: g.setTimeout,
    setInterval: g.setInterval,
    fetch: g.fetch,
    randomUUID: g.crypto?.randomUUID,
  };
}

/** Copies what is in place now into `into`. */
function save(into: Traps): void {
  const g = globalThis as unknown as Globals;
  into.dateNow = Date.now;
  into.Date = g.Date as DateConstructor;
  into.random = Math.random;
  into.setTimeout = g.setTimeout;
  into.setInterval = g.setInterval;
  into.fetch = g.fetch;
  into.randomUUID = g.crypto?.randomUUID;
}

/** Puts `traps` in place. */
function swapIn(traps: Traps): void {
  const g = globalThis as unknown as Globals;
  Date.now = traps.dateNow;
  Math.random = traps.random;
  g.Date = traps.Date;
  g.setTimeout = traps.setTimeout;
  g.setInterval = traps.setInterval;
  if (traps.fetch !== undefined) g.fetch = traps.fetch;
  if (g.crypto && traps.randomUUID !== undefined) g.crypto.randomUUID = traps.randomUUID;
}

function makeTraps(hit: (trap: Trap) => void): Traps {
  const original = current();
  const OriginalDate = original.Date;
  const wrap = (fn: unknown, trap: Trap, self?: unknown) =>
    typeof fn === "function" ? (...args: unknown[]) => (hit(trap), (fn as (...a: unknown[]) => unknown).apply(self, args)) : fn;
  const TrappedDate: DateConstructor = new Proxy(OriginalDate, {
    construct(target, args: unknown[], newTarget: unknown): object {
      if (args.length === 0) hit(TRAPS.newDate);
      return Reflect.construct(target, args, (newTarget === TrappedDate ? target : newTarget) as typeof target) as object;
    },
    apply(target, thisArg, args: unknown[]): unknown {
      hit(TRAPS.newDate);
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
  return {
    dateNow: () => (hit(TRAPS.dateNow), original.dateNow.call(OriginalDate)),
    Date: TrappedDate,
    random: () => (hit(TRAPS.random), original.random.call(Math)),
    setTimeout: wrap(original.setTimeout, TRAPS.setTimeout),
    setInterval: wrap(original.setInterval, TRAPS.setInterval),
    fetch: wrap(original.fetch, TRAPS.fetch),
    randomUUID: wrap(original.randomUUID, TRAPS.randomUUID, (globalThis as unknown as Globals).crypto),
  };
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
