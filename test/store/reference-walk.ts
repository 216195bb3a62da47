/**
 * Random request sequences over a handful of ids, shaped like the work of @resonatehq/sdk
 * workers (roots with a target and a branch, children named `root:n`, an external promise), for
 * comparing our kernel with the reference server step by step.
 *
 * Children and the external promise never time out within a walk: the reference's tick only
 * times out promises with a target, ours times out every promise (a deliberate difference).
 */
import type { Request } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";

export type Step = { now: number; req: Request } | { now: number; tick: true };

const ROOTS = ["a", "b"];
const CHILDREN = ["a:1", "a:2", "b:1"];
const EXTERNAL = "x";
const TARGET = "poll://any@workers";
const PIDS = ["w1", "w2"];
const FAR = 10 ** 13;
const STATES = ["resolved", "rejected", "rejected_canceled"] as const;

/** A small, seedable PRNG (mulberry32), so a failing walk can be replayed from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Yields `length` steps. `versions` is what the caller has learned of each task's version so far
 * (from answers and messages); most requests use it, so that the walk gets past the version checks
 * as a real worker would, and some use a random version, as a stale worker would.
 */
export function* walk(seed: number, length: number, start: number, versions: ReadonlyMap<string, number>): Generator<Step> {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const head = () => ({ corrId: `c${int(0, 1e9)}`, version: "walk" });
  let now = start;
  const versionOf = (id: string) => (rand() < 0.8 ? (versions.get(id) ?? 0) : int(0, 4));

  const rootTags = (id: string) => ({ [TAG.target]: TARGET, [TAG.branch]: id });
  const childOf = (id: string) => id.split(":")[0]!;
  const createRoot = (id: string) => ({
    kind: "promise.create" as const,
    head: head(),
    data: { id, timeoutAt: now + int(-1000, 120_000), param: {}, tags: rootTags(id) },
  });
  const createChild = (id: string) => ({
    kind: "promise.create" as const,
    head: head(),
    data: { id, timeoutAt: FAR, param: { data: id }, tags: { [TAG.branch]: childOf(id) } },
  });
  const settle = (id: string) => ({
    kind: "promise.settle" as const,
    head: head(),
    data: { id, state: pick(STATES), value: { data: `v${int(0, 9)}` } },
  });
  const callback = (awaiter: string) => ({
    kind: "promise.register_callback" as const,
    head: head(),
    data: { awaited: pick([...CHILDREN, EXTERNAL, ...ROOTS.filter((r) => r !== awaiter)]), awaiter },
  });

  const acquire = (id: string) => ({ id, version: versionOf(id), pid: pick(PIDS), ttl: int(1000, 60_000) });

  const makers: (() => Request)[] = [
    () => createRoot(pick(ROOTS)),
    () => createChild(pick(CHILDREN)),
    () => createChild(pick(CHILDREN)),
    () => ({ kind: "promise.create", head: head(), data: { id: EXTERNAL, timeoutAt: FAR, param: {}, tags: { [TAG.external]: "true" } } }),
    () => settle(pick([...ROOTS, ...CHILDREN, EXTERNAL])),
    () => callback(pick(ROOTS)),
    () => ({ kind: "promise.register_listener", head: head(), data: { awaited: pick([...ROOTS, EXTERNAL, ...CHILDREN]), address: "poll://uni@g/p" } }),
    () => ({ kind: "promise.get", head: head(), data: { id: pick([...ROOTS, ...CHILDREN, EXTERNAL]) } }),
    () => ({ kind: "task.get", head: head(), data: { id: pick(ROOTS) } }),
    () => ({ kind: "task.create", head: head(), data: { pid: pick(PIDS), ttl: int(1000, 60_000), action: createRoot(pick(ROOTS)) } }),
    () => ({ kind: "task.acquire", head: head(), data: acquire(pick(ROOTS)) }),
    () => ({ kind: "task.acquire", head: head(), data: acquire(pick(ROOTS)) }),
    () => {
      const id = pick(ROOTS);
      return { kind: "task.release", head: head(), data: { id, version: versionOf(id) } };
    },
    () => {
      const id = pick(ROOTS);
      const actions = Array.from({ length: int(1, 2) }, () => callback(id));
      return { kind: "task.suspend", head: head(), data: { id, version: versionOf(id), actions } };
    },
    () => {
      const id = pick(ROOTS);
      return { kind: "task.fulfill", head: head(), data: { id, version: versionOf(id), action: settle(id) } };
    },
    () => {
      const id = pick(ROOTS);
      const child = pick(CHILDREN.filter((c) => childOf(c) === id));
      return { kind: "task.fence", head: head(), data: { id, version: versionOf(id), action: rand() < 0.5 ? createChild(child) : settle(child) } };
    },
    () => ({ kind: "task.heartbeat", head: head(), data: { pid: pick(PIDS), tasks: ROOTS.map((id) => ({ id, version: versionOf(id) })) } }),
    () => ({ kind: "task.halt", head: head(), data: { id: pick(ROOTS) } }),
    () => ({ kind: "task.continue", head: head(), data: { id: pick(ROOTS) } }),
  ];

  for (let i = 0; i < length; i++) {
    if (rand() < 0.12) {
      now += int(0, 45_000);
      yield { now, tick: true };
    } else {
      now += int(0, 2000);
      yield { now, req: pick(makers)() };
    }
  }
}
