/** Registered functions by name: what a worker may execute when a task names it. */
import type { AnyFunction } from "../engine/commands.js";
import { InvalidArgumentError, NotRegisteredError } from "../engine/errors.js";

export class Registry {
  private readonly byName = new Map<string, AnyFunction>();

  add(name: string, func: AnyFunction): void {
    if (!name) throw new InvalidArgumentError("register: a function needs a name; pass one: register(\"name\", fn)");
    if (typeof func !== "function") throw new InvalidArgumentError(`register("${name}"): expected a function, got ${typeof func}`);
    if (Object.prototype.toString.call(func) === "[object AsyncGeneratorFunction]") {
      throw new InvalidArgumentError(`register("${name}"): an async generator (async function*) cannot be a workflow; write function* and yield* the ctx calls, or an async function that awaits them`);
    }
    const existing = this.byName.get(name);
    if (existing && existing !== func) throw new InvalidArgumentError(`register: "${name}" is already registered to another function`);
    this.byName.set(name, func);
  }

  /** Every registered function by name. */
  entries(): ReadonlyMap<string, AnyFunction> {
    return this.byName;
  }

  get(name: string): AnyFunction | undefined {
    return this.byName.get(name);
  }

  /** The registered name of `func`, or its own name if registered under it. */
  nameOf(func: AnyFunction): string | undefined {
    for (const [name, registered] of this.byName) if (registered === func) return name;
    return undefined;
  }

  require(nameOrFunc: string | AnyFunction): { name: string; func: AnyFunction } {
    if (typeof nameOrFunc === "string") {
      const func = this.byName.get(nameOrFunc);
      if (!func) throw new NotRegisteredError(nameOrFunc, [...this.byName.keys()]);
      return { name: nameOrFunc, func };
    }
    const name = this.nameOf(nameOrFunc);
    if (!name) throw new NotRegisteredError(nameOrFunc.name || "anonymous", [...this.byName.keys()]);
    return { name, func: nameOrFunc };
  }
}
