/** Registered functions by name: what a worker may execute when a task names it, and their limits. */
import type { AnyFunction } from "../engine/commands.js";
import { InvalidArgumentError, NotRegisteredError } from "../engine/errors.js";
import type { FunctionLimits } from "../protocol/records.js";

/** Computes an execution's flow key from its arguments, on the caller's side, when it starts. */
export type FlowKey = (...args: never[]) => string;

/**
 * Flow control for a registered function (docs/flow-control.md), enforced by the store across
 * every worker and server: `reprise.register("charge", charge, { concurrency: 5 })`.
 */
export interface RegisterOptions {
  /** At most this many executions running at once; with `key`, that many per key. */
  concurrency?: number | { limit: number; key?: FlowKey };
  /** At most `limit` executions started in any `periodMs`; with `key`, per key. */
  rateLimit?: { limit: number; periodMs: number; key?: FlowKey };
  /** Among queued executions, higher starts first (default 0); a call may name its own. */
  priority?: number;
  /**
   * How long this function's finished executions are kept, in ms, instead of the store's default
   * (0 keeps them for ever). Set on the executions this process starts (`run`, `beginRun`,
   * `beginRpc`) as their root's `reprise:retention` tag; see docs/retention.md.
   */
  retention?: number;
}

interface Registration {
  func: AnyFunction;
  limits?: FunctionLimits;
  key?: FlowKey;
}

export class Registry {
  private readonly byName = new Map<string, Registration>();

  /** How many functions are registered (it only grows). */
  get size(): number {
    return this.byName.size;
  }

  add(name: string, func: AnyFunction, options: RegisterOptions = {}): void {
    if (!name) throw new InvalidArgumentError("register: a function needs a name; pass one: register(\"name\", fn)");
    if (typeof func !== "function") throw new InvalidArgumentError(`register("${name}"): expected a function, got ${typeof func}`);
    if (Object.prototype.toString.call(func) === "[object AsyncGeneratorFunction]") {
      throw new InvalidArgumentError(`register("${name}"): an async generator (async function*) cannot be a workflow; write function* and yield* the ctx calls, or an async function that awaits them`);
    }
    const existing = this.byName.get(name);
    if (existing && existing.func !== func) throw new InvalidArgumentError(`register: "${name}" is already registered to another function`);
    this.byName.set(name, { func, ...flowOptions(name, options) });
  }

  /** Every registered function by name. */
  entries(): ReadonlyMap<string, AnyFunction> {
    return new Map([...this.byName].map(([name, registration]) => [name, registration.func]));
  }

  get(name: string): AnyFunction | undefined {
    return this.byName.get(name)?.func;
  }

  /** The limits of every registered function (a function without any is listed bare, so a declaration removes stale ones). */
  declaredLimits(): FunctionLimits[] {
    return [...this.byName].map(([name, registration]) => registration.limits ?? { func: name });
  }

  /** Whether any registered function has limits: only then does this worker declare them. */
  hasLimits(): boolean {
    return [...this.byName.values()].some((registration) => registration.limits !== undefined);
  }

  /**
   * The flow key of an execution of `name` with `args`, when the function has limits: its key
   * function's answer, or "" (one count for the function). Undefined for an unlimited function.
   */
  flowKeyOf(name: string, args: unknown[]): string | undefined {
    const registration = this.byName.get(name);
    if (!registration?.limits) return undefined;
    if (!registration.key) return "";
    const key = (registration.key as (...args: unknown[]) => unknown)(...args);
    if (typeof key !== "string") throw new InvalidArgumentError(`${name}: its flow key function must return a string, got ${typeof key}`);
    return key;
  }

  /** The registered name of `func`, or its own name if registered under it. */
  nameOf(func: AnyFunction): string | undefined {
    for (const [name, registration] of this.byName) if (registration.func === func) return name;
    return undefined;
  }

  require(nameOrFunc: string | AnyFunction): { name: string; func: AnyFunction } {
    if (typeof nameOrFunc === "string") {
      const func = this.byName.get(nameOrFunc)?.func;
      if (!func) throw new NotRegisteredError(nameOrFunc, [...this.byName.keys()]);
      return { name: nameOrFunc, func };
    }
    const name = this.nameOf(nameOrFunc);
    if (!name) throw new NotRegisteredError(nameOrFunc.name || "anonymous", [...this.byName.keys()]);
    return { name, func: nameOrFunc };
  }
}

/** Checks `options` and turns them into what the store is told, plus the caller-side key function. */
function flowOptions(name: string, options: RegisterOptions): { limits?: FunctionLimits; key?: FlowKey } {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError(`register("${name}"): options must be an object, got ${String(options)}`);
  const { concurrency, rateLimit, priority } = options;
  const limits: FunctionLimits = { func: name };
  let key: FlowKey | undefined;
  if (concurrency !== undefined) {
    const limit = typeof concurrency === "number" ? concurrency : concurrency?.limit;
    limits.concurrency = wholeNumber(name, "concurrency" + (typeof concurrency === "number" ? "" : ".limit"), limit, 1);
    if (typeof concurrency === "object") key = keyFunction(name, "concurrency.key", concurrency.key);
  }
  if (rateLimit !== undefined) {
    if (typeof rateLimit !== "object" || rateLimit === null) throw new InvalidArgumentError(`register("${name}"): rateLimit: expected { limit, periodMs, key? }, got ${String(rateLimit)}`);
    limits.rateLimit = { limit: wholeNumber(name, "rateLimit.limit", rateLimit.limit, 1), periodMs: wholeNumber(name, "rateLimit.periodMs", rateLimit.periodMs, 1) };
    const rateKey = keyFunction(name, "rateLimit.key", rateLimit.key);
    // One count per execution: its limits share one key, so two different key functions cannot both apply.
    if (key && rateKey && key !== rateKey) {
      throw new InvalidArgumentError(`register("${name}"): concurrency.key and rateLimit.key must be the same function (an execution has one flow key)`);
    }
    key ??= rateKey;
  }
  if (priority !== undefined) limits.priority = wholeNumber(name, "priority", priority, -1_000_000);
  const limited = limits.concurrency !== undefined || limits.rateLimit !== undefined || limits.priority !== undefined;
  return limited ? { limits, ...(key ? { key } : {}) } : {};
}

function wholeNumber(name: string, field: string, value: unknown, min: number): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min) return value;
  throw new InvalidArgumentError(`register("${name}"): ${field}: expected a whole number from ${min}, got ${String(value)}`);
}

function keyFunction(name: string, field: string, key: unknown): FlowKey | undefined {
  if (key === undefined) return undefined;
  if (typeof key !== "function") throw new InvalidArgumentError(`register("${name}"): ${field}: expected a function of the arguments returning a string, got ${typeof key}`);
  return key as FlowKey;
}
