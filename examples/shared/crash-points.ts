/**
 * Crash points for the examples' tests and demo. Not part of any workflow: without the CRASH_AT
 * environment variable everything below only prints what runs.
 *
 * A program wraps its side-effect clients with `instrument("sor", client)`. Every method call
 * prints `CALL sor.createAccount [args]` before and `DONE sor.createAccount result` after, so a
 * test can count which steps really ran. When CRASH_AT names a point, the call stops there for
 * good after printing `HANG <point>`, and the test SIGKILLs the process at exactly that spot:
 *
 *   before:sor.createAccount     the step started, its effect has not happened
 *   after:sor.createAccount      the effect happened, the step's result is not recorded yet
 *   recorded:<promise id>        the step's result is on disk, nothing after it has run
 *
 * `before:`/`after:` points may end in `@<value>` to stop only a call with that argument
 * (`after:systems.notify@shipped`). CRASH_AT may list several points, comma-separated.
 */
import type { Store } from "../../src/index.js";

export const CRASH_AT = "CRASH_AT";

/** Wraps a client whose methods all return promises; the wrapper has the same type. */
export function instrument<T extends object>(label: string, client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const point = `${label}.${property}`;
      return async (...args: unknown[]) => {
        say(`CALL ${point} ${toJson(args)}`);
        await hangIf(`before:${point}`, args);
        const result: unknown = await value.apply(target, args);
        say(`DONE ${point} ${toJson(result)}`);
        await hangIf(`after:${point}`, args);
        return result;
      };
    },
  });
}

/**
 * The `store` option for `new Reprise`: the path itself, or, when CRASH_AT has `recorded:` points,
 * that SQLite store wrapped so it stops right after committing the named promise's settlement.
 */
export async function storeFor(path: string): Promise<string | Store> {
  const recorded = crashPoints().filter((point) => point.startsWith("recorded:")).map((point) => point.slice("recorded:".length));
  if (recorded.length === 0) return path;
  // The store module is internal to Reprise; only this test hook reaches for it.
  const { openStore } = await import("../../src/store/index.js");
  const store = await openStore(path);
  const apply: Store["apply"] = async (req, now) => {
    const response = await store.apply(req, now);
    const settled = settledId(req);
    if (settled !== undefined && recorded.includes(settled)) await hang(`recorded:${settled}`);
    return response;
  };
  const applyBatch: Store["applyBatch"] = async (reqs, now) => {
    const responses = await store.applyBatch(reqs, now);
    for (const req of reqs) {
      const settled = settledId(req);
      if (settled !== undefined && recorded.includes(settled)) await hang(`recorded:${settled}`);
    }
    return responses;
  };
  return {
    apply,
    applyBatch,
    tick: (now) => store.tick(now),
    nextDeadline: () => store.nextDeadline(),
    onMessage: (listener) => store.onMessage(listener),
    close: () => store.close(),
  };
}

/** Prints one line for the test or the demo watching this process. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function crashPoints(): string[] {
  return (process.env[CRASH_AT] ?? "").split(",").map((point) => point.trim()).filter(Boolean);
}

async function hangIf(point: string, args: unknown[]): Promise<void> {
  const hit = crashPoints().find((wanted) => wanted === point || args.some((arg) => wanted === `${point}@${String(arg)}`));
  if (hit) await hang(hit);
}

function hang(point: string): Promise<never> {
  say(`HANG ${point}`);
  // Keep the process alive, doing nothing, until the test kills it.
  setInterval(() => {}, 60_000);
  return new Promise<never>(() => {});
}

/** The id of the promise a step result or completion request settles, if it settles one. */
function settledId(req: Parameters<Store["apply"]>[0]): string | undefined {
  if (req.kind === "promise.settle") return req.data.id;
  if ((req.kind === "task.fence" || req.kind === "task.fulfill") && req.data.action.kind === "promise.settle") return req.data.action.data.id;
  // A step recorded in one write: created already settled.
  if (req.kind === "task.fence" && req.data.action.kind === "promise.create" && req.data.action.data.result) return req.data.action.data.id;
  return undefined;
}

/** JSON that also prints bigints (ledger ids are u128). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner)) ?? "undefined";
}
