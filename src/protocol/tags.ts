/** Tag names with meaning to the server or the SDK. Named once, used everywhere. */
export const TAG = {
  /** Address that should execute the promise; the server creates a task for it. */
  target: "resonate:target",
  /** A sleep: resolves (not times out) at its timeoutAt. */
  timer: "resonate:timer",
  origin: "resonate:origin",
  parent: "resonate:parent",
  branch: "resonate:branch",
  scope: "resonate:scope",
  external: "resonate:external",
  delay: "resonate:delay",
  schedule: "resonate:schedule",
  /** Reprise: the registered function (or step function) a promise runs. */
  func: "reprise:func",
  /** Reprise: what kind of durable object a promise is (root, step, sleep, promise, rpc). */
  kind: "reprise:kind",
  /**
   * Reprise (flow control): the execution's flow key ("" for none). Present on an execution of a
   * function with declared limits, set by the caller that computed the key or by the store.
   */
  flow: "reprise:flow",
  /** Reprise (flow control): the execution's priority among queued ones (an integer; higher first). */
  priority: "reprise:priority",
  /** Reprise: on a root, how many ms its finished execution is kept (0 = for ever); docs/retention.md. */
  retention: "reprise:retention",
} as const;

/**
 * Reprise: the durable request to cancel an execution (docs/cancellation.md) is the promise
 * `${executionId}.cancel`. Named here because the store knows it too: a task asked to cancel
 * while it runs does not suspend (kernel/tasks.ts).
 */
export function cancelRequestId(executionId: string): string {
  return `${executionId}.cancel`;
}

export const ADDRESS = {
  /** Any process of a group. */
  anycast: (group: string, pid?: string) => (pid ? `poll://any@${group}/${pid}` : `poll://any@${group}`),
  /** Exactly this process. */
  unicast: (group: string, pid: string) => `poll://uni@${group}/${pid}`,
} as const;

/** A target option as an address: an address as given, a group name as "any member of it". */
export function toAddress(target: string): string {
  return target.includes("://") ? target : ADDRESS.anycast(target);
}

export interface ParsedAddress {
  scheme: string;
  cast: "any" | "uni";
  group: string;
  pid?: string;
}

/**
 * Whether a message to `address` is for the process `pid` of `group`: anycast to the group, or
 * unicast naming that pid. (Every transport that delivers a store's messages in process asks this.)
 */
export function isAddressedTo(address: string, group: string, pid: string): boolean {
  const to = parseAddress(address);
  return to !== undefined && to.group === group && (to.cast !== "uni" || to.pid === pid);
}

/** Parses `poll://any@group/pid`, `poll://uni@group/pid` or a bare group name (= anycast). */
export function parseAddress(address: string): ParsedAddress | undefined {
  const match = /^([a-z]+):\/\/(any|uni)@([^/]+)(?:\/(.+))?$/.exec(address);
  if (!match) {
    if (/^[A-Za-z0-9_.:-]+$/.test(address)) return { scheme: "poll", cast: "any", group: address };
    return undefined;
  }
  const [, scheme, cast, group, pid] = match;
  return { scheme: scheme!, cast: cast as "any" | "uni", group: group!, pid };
}
