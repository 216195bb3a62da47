/**
 * Random request sequences over a handful of ids, shaped like the work of @resonatehq/sdk
 * workers (roots with a target and a branch, children named `root:n`, an external promise), for
 * comparing our kernel with the reference server step by step.
 *
 * Children and the external promise never time out within a walk: the reference's tick only
 * times out promises with a target, ours times out every promise (a deliberate difference).
 *
 * Inputs span what the reference accepts and we must too: each seed names its promises one way
 * (short, with whitespace, of any script, or at the full id length), creates carry up to the tag
 * limit, and data is any string (empty, base64url, JSON, non-Latin, tens of KiB). The reference's
 * in-memory `Server` refuses nothing; what only we refuse (NUL or lone surrogates in ids, ids over
 * MAX_ID_LENGTH, values over maxValueBytes) is never generated: the reference server refuses NUL
 * and lone surrogates too, and the length bounds are ours to keep one request from exhausting memory.
 */
import { MAX_ID_LENGTH, MAX_TAGS } from "../../src/protocol/limits.js";
import type { Request } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";

export type Step = { now: number; req: Request } | { now: number; tick: true };

/** The ids of one walk: two roots (tasks), their children, and an external promise. */
export interface Naming {
  roots: [string, string];
  /** Each child and the root whose branch it is on. */
  children: [child: string, root: string][];
  external: string;
}

/** The naming of walk `seed`: one in five keeps short ids, the rest stress one kind of id each. */
export function naming(seed: number): Naming {
  const named = (a: string, b: string, external: string): Naming => ({
    roots: [a, b],
    children: [
      [`${a}:1`, a],
      [`${a}:2`, a],
      [`${b}:1`, b],
    ],
    external,
  });
  // Children append ":n", so roots leave two characters of the id limit.
  const longest = MAX_ID_LENGTH - 2;
  switch (seed % 5) {
    case 1:
      return named("order a", "order\tb 2", "approval of\norder a");
    case 2:
      return named("a".repeat(longest), "流".repeat(longest), "😀".repeat(MAX_ID_LENGTH / 2));
    case 3:
      return named("注文 #1/ä?x=1&y", " b%20 ", "🎉 external\u00a0x");
    case 4:
      return named(`${"order ".repeat(300)}a`, "b", `${"x".repeat(MAX_ID_LENGTH - 1)} `);
    default:
      return named("a", "b", "x");
  }
}

/** `value.data` and `param.data` are any string: not only canonical base64. */
const DATA = ["", "v1", "eyJhIjoxfQ-_", '{"amount": 42}', "ünïcödé 🎉 注文", " \n\t ", "not base64!", "x".repeat(40_000)];

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
  const { roots, children, external } = naming(seed);
  const childIds = children.map(([child]) => child);
  const rootOf = new Map(children);
  const childOf = (id: string) => rootOf.get(id)!;
  const data = () => (rand() < 0.5 ? pick(DATA) : `v${int(0, 9)}`);
  // Many tags on some creates, up to the limit with the two the walk always sets.
  const extraTags = (): Record<string, string> => {
    if (rand() < 0.8) return {};
    const count = rand() < 0.5 ? int(1, 70) : MAX_TAGS - 2;
    return Object.fromEntries(Array.from({ length: count }, (_, i) => [`app:tag ${i}`, i % 7 === 0 ? `value ${"é".repeat(i % 300)}` : String(i)]));
  };
  const versionOf = (id: string) => (rand() < 0.8 ? (versions.get(id) ?? 0) : int(0, 4));

  const rootTags = (id: string) => ({ ...extraTags(), [TAG.target]: TARGET, [TAG.branch]: id });
  const createRoot = (id: string) => ({
    kind: "promise.create" as const,
    head: head(),
    data: { id, timeoutAt: now + int(-1000, 120_000), param: rand() < 0.5 ? {} : { data: data() }, tags: rootTags(id) },
  });
  const createChild = (id: string) => ({
    kind: "promise.create" as const,
    head: head(),
    data: { id, timeoutAt: FAR, param: { data: rand() < 0.3 ? id : data() }, tags: { ...extraTags(), [TAG.branch]: childOf(id) } },
  });
  const settle = (id: string) => ({
    kind: "promise.settle" as const,
    head: head(),
    data: { id, state: pick(STATES), value: { data: data() } },
  });
  const callback = (awaiter: string) => ({
    kind: "promise.register_callback" as const,
    head: head(),
    data: { awaited: pick([...childIds, external, ...roots.filter((r) => r !== awaiter)]), awaiter },
  });

  const acquire = (id: string) => ({ id, version: versionOf(id), pid: pick(PIDS), ttl: int(1000, 60_000) });

  const makers: (() => Request)[] = [
    () => createRoot(pick(roots)),
    () => createChild(pick(childIds)),
    () => createChild(pick(childIds)),
    () => ({ kind: "promise.create", head: head(), data: { id: external, timeoutAt: FAR, param: {}, tags: { [TAG.external]: "true" } } }),
    () => settle(pick([...roots, ...childIds, external])),
    () => callback(pick(roots)),
    () => ({ kind: "promise.register_listener", head: head(), data: { awaited: pick([...roots, external, ...childIds]), address: "poll://uni@g/p" } }),
    () => ({ kind: "promise.get", head: head(), data: { id: pick([...roots, ...childIds, external]) } }),
    () => ({ kind: "task.get", head: head(), data: { id: pick(roots) } }),
    () => ({ kind: "task.create", head: head(), data: { pid: pick(PIDS), ttl: int(1000, 60_000), action: createRoot(pick(roots)) } }),
    () => ({ kind: "task.acquire", head: head(), data: acquire(pick(roots)) }),
    () => ({ kind: "task.acquire", head: head(), data: acquire(pick(roots)) }),
    () => {
      const id = pick(roots);
      return { kind: "task.release", head: head(), data: { id, version: versionOf(id) } };
    },
    () => {
      const id = pick(roots);
      const actions = Array.from({ length: int(1, 2) }, () => callback(id));
      return { kind: "task.suspend", head: head(), data: { id, version: versionOf(id), actions } };
    },
    () => {
      const id = pick(roots);
      return { kind: "task.fulfill", head: head(), data: { id, version: versionOf(id), action: settle(id) } };
    },
    () => {
      const id = pick(roots);
      const child = pick(childIds.filter((c) => childOf(c) === id));
      return { kind: "task.fence", head: head(), data: { id, version: versionOf(id), action: rand() < 0.5 ? createChild(child) : settle(child) } };
    },
    () => ({ kind: "task.heartbeat", head: head(), data: { pid: pick(PIDS), tasks: roots.map((id) => ({ id, version: versionOf(id) })) } }),
    () => ({ kind: "task.halt", head: head(), data: { id: pick(roots) } }),
    () => ({ kind: "task.continue", head: head(), data: { id: pick(roots) } }),
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

/** Remembers the latest version seen of each task, in answers and in execute messages. */
export function learnVersions(versions: Map<string, number>, seen: unknown[]): void {
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null) return;
    const task = (value as { task?: { id?: unknown; version?: unknown } }).task;
    if (typeof task?.id === "string" && typeof task.version === "number") versions.set(task.id, task.version);
    for (const inner of Object.values(value)) visit(inner);
  };
  seen.forEach(visit);
}
