/**
 * The workers connected to this server over `/poll/<group>/<pid>`, and the routing of store
 * messages to them: `poll://uni@g/pid` reaches that process, `poll://any@g/pid` that process if
 * it is connected here or else one member of the group (round-robin), and a bare `g` any member.
 *
 * A message for which no worker is connected is held for a while and handed to the first match
 * that connects: a worker starting after a crash, or reconnecting its stream, gets its work at
 * once instead of at the store's next re-delivery. Holding is safe because delivery is at most
 * once anyway: the store re-delivers what is not acted on, and task versions reject duplicates.
 */
import type { Message } from "../protocol/messages.js";
import { parseAddress, type ParsedAddress } from "../protocol/tags.js";

export interface WorkerConnection {
  readonly group: string;
  readonly pid: string;
  readonly connectedAt: number;
  send(message: Message): void;
  close(): void;
}

export interface WorkerInfo {
  group: string;
  pid: string;
  connectedAt: number;
}

/** How long an undeliverable message waits for a worker to connect. */
export const DEFAULT_HOLD_MS = 30_000;
/** Most messages held per group; the oldest go first. */
export const MAX_HELD_PER_GROUP = 1000;
/** Most groups with held messages; the longest-held group goes first. */
export const MAX_HELD_GROUPS = 1000;
/**
 * Most bytes held over all groups (JSON size); the longest-held go first. The counts alone allowed
 * 1,000 × 1,000 messages of up to two values each: terabytes. 64 MiB holds several of the largest
 * messages (two values at the default 3 MiB limit), and a message larger than this is not held.
 */
export const MAX_HELD_BYTES = 64 * 1024 * 1024;
/** How often expired held messages are dropped, whether or not another message arrives. */
export const HOLD_PRUNE_INTERVAL_MS = 5_000;

export interface WorkersOptions {
  /** Default DEFAULT_HOLD_MS. */
  holdMs?: number;
  /** Default MAX_HELD_PER_GROUP. */
  maxHeldPerGroup?: number;
  /** Default MAX_HELD_GROUPS. */
  maxHeldGroups?: number;
  /** Default MAX_HELD_BYTES. */
  maxHeldBytes?: number;
  /** Default HOLD_PRUNE_INTERVAL_MS. */
  pruneIntervalMs?: number;
  /** The clock hold deadlines are read from (tests); default Date.now. */
  now?: () => number;
}

/** What is held right now, for tests and diagnostics. */
export interface HeldStats {
  groups: number;
  messages: number;
  bytes: number;
}

interface HeldMessage {
  address: ParsedAddress;
  message: Message;
  until: number;
  bytes: number;
}

export class Workers {
  /** group → pid → connections of that pid, newest last (a reconnect can overlap the old stream). */
  private readonly groups = new Map<string, Map<string, WorkerConnection[]>>();
  private readonly turns = new Map<string, number>();
  private readonly held = new Map<string, HeldMessage[]>();
  private heldBytes = 0;
  private pruneTimer: ReturnType<typeof setInterval> | undefined;
  private readonly holdMs: number;
  private readonly maxHeldPerGroup: number;
  private readonly maxHeldGroups: number;
  private readonly maxHeldBytes: number;
  private readonly pruneIntervalMs: number;
  private readonly now: () => number;

  constructor(options: WorkersOptions = {}) {
    this.holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
    this.maxHeldPerGroup = options.maxHeldPerGroup ?? MAX_HELD_PER_GROUP;
    this.maxHeldGroups = options.maxHeldGroups ?? MAX_HELD_GROUPS;
    this.maxHeldBytes = options.maxHeldBytes ?? MAX_HELD_BYTES;
    this.pruneIntervalMs = options.pruneIntervalMs ?? HOLD_PRUNE_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  add(connection: WorkerConnection): () => void {
    const pids = this.groups.get(connection.group) ?? new Map<string, WorkerConnection[]>();
    this.groups.set(connection.group, pids);
    pids.set(connection.pid, [...(pids.get(connection.pid) ?? []), connection]);
    this.release(connection);
    return () => this.remove(connection);
  }

  /** Delivers a message to the address; returns false when no connected worker matches (it is held). */
  deliver(address: string, message: Message): boolean {
    const parsed = parseAddress(address);
    if (!parsed || parsed.scheme !== "poll") return false;
    const pids = this.groups.get(parsed.group);
    const named = parsed.pid === undefined ? undefined : pids?.get(parsed.pid)?.at(-1);
    const target = named ?? (parsed.cast === "any" && pids ? this.nextInGroup(parsed.group, pids) : undefined);
    if (!target) {
      this.hold(parsed, message);
      return false;
    }
    target.send(message);
    return true;
  }

  list(): WorkerInfo[] {
    const workers: WorkerInfo[] = [];
    for (const [group, pids] of this.groups) {
      for (const [pid, connections] of pids) workers.push({ group, pid, connectedAt: connections.at(-1)!.connectedAt });
    }
    return workers.sort((a, b) => (a.group === b.group ? a.pid.localeCompare(b.pid) : a.group.localeCompare(b.group)));
  }

  closeAll(): void {
    for (const pids of this.groups.values()) {
      for (const connections of pids.values()) connections.forEach((connection) => connection.close());
    }
    this.groups.clear();
    this.held.clear();
    this.heldBytes = 0;
    this.stopPruning();
  }

  heldStats(): HeldStats {
    let messages = 0;
    for (const queue of this.held.values()) messages += queue.length;
    return { groups: this.held.size, messages, bytes: this.heldBytes };
  }

  /** Drops every held message whose hold has run out. */
  prune(): void {
    const now = this.now();
    for (const [group, queue] of this.held) {
      const kept = queue.filter((entry) => entry.until > now || this.forget(entry));
      if (kept.length === 0) this.held.delete(group);
      else if (kept.length < queue.length) this.held.set(group, kept); // same key: the order stays
    }
    if (this.held.size === 0) this.stopPruning();
  }

  private hold(address: ParsedAddress, message: Message): void {
    const bytes = JSON.stringify(message).length;
    if (bytes > this.maxHeldBytes) return; // it could only be held by dropping everything else
    const now = this.now();
    const queue = (this.held.get(address.group) ?? []).filter((entry) => entry.until > now || this.forget(entry));
    queue.push({ address, message, until: now + this.holdMs, bytes });
    this.heldBytes += bytes;
    while (queue.length > this.maxHeldPerGroup) this.forget(queue.shift()!);
    this.held.delete(address.group); // re-inserted last: the map stays ordered by latest hold
    this.held.set(address.group, queue);
    if (this.held.size > this.maxHeldGroups) this.dropGroup(this.held.keys().next().value!);
    // Over the byte bound: the oldest messages of the longest-held groups go first.
    while (this.heldBytes > this.maxHeldBytes) {
      const [group, oldest] = this.held.entries().next().value!;
      this.forget(oldest.shift()!);
      if (oldest.length === 0) this.held.delete(group);
    }
    this.startPruning();
  }

  private dropGroup(group: string): void {
    this.held.get(group)?.forEach((entry) => this.forget(entry));
    this.held.delete(group);
  }

  /** Takes an entry's bytes off the total; false, so a filter can drop the entry with it. */
  private forget(entry: HeldMessage): false {
    this.heldBytes -= entry.bytes;
    return false;
  }

  // The timer runs only while something is held, and is unref'd: it never keeps a process alive.
  private startPruning(): void {
    if (this.pruneTimer) return;
    this.pruneTimer = setInterval(() => this.prune(), this.pruneIntervalMs);
    // unref: written so that the dashboard's browser build, which sees this file's types, compiles too.
    (this.pruneTimer as { unref?: () => void }).unref?.();
  }

  private stopPruning(): void {
    clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
  }

  /** Hands a new connection the held messages it matches; keeps the rest. */
  private release(connection: WorkerConnection): void {
    const queue = this.held.get(connection.group);
    if (!queue) return;
    const now = this.now();
    const kept: HeldMessage[] = [];
    for (const entry of queue) {
      const forThisPid = entry.address.pid === connection.pid;
      if (entry.until <= now) this.forget(entry);
      else if (entry.address.cast === "any" || forThisPid) {
        this.forget(entry);
        connection.send(entry.message);
      } else kept.push(entry);
    }
    if (kept.length > 0) this.held.set(connection.group, kept);
    else this.held.delete(connection.group);
    if (this.held.size === 0) this.stopPruning();
  }

  private remove(connection: WorkerConnection): void {
    const pids = this.groups.get(connection.group);
    const remaining = pids?.get(connection.pid)?.filter((other) => other !== connection) ?? [];
    if (remaining.length > 0) pids!.set(connection.pid, remaining);
    else pids?.delete(connection.pid);
    if (pids?.size === 0) this.groups.delete(connection.group);
  }

  private nextInGroup(group: string, pids: Map<string, WorkerConnection[]>): WorkerConnection | undefined {
    const members = [...pids.values()];
    if (members.length === 0) return undefined;
    const turn = (this.turns.get(group) ?? 0) % members.length;
    this.turns.set(group, turn + 1);
    return members[turn]!.at(-1);
  }
}
