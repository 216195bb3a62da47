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

export interface WorkersOptions {
  /** How long an undeliverable message waits for a worker to connect. Default 30 s. */
  holdMs?: number;
  /** Most messages held per group; the oldest go first. Default 1000. */
  maxHeldPerGroup?: number;
  /** Most groups with held messages; the longest-held group goes first. Default 1000. */
  maxHeldGroups?: number;
}

interface HeldMessage {
  address: ParsedAddress;
  message: Message;
  until: number;
}

export class Workers {
  /** group → pid → connections of that pid, newest last (a reconnect can overlap the old stream). */
  private readonly groups = new Map<string, Map<string, WorkerConnection[]>>();
  private readonly turns = new Map<string, number>();
  private readonly held = new Map<string, HeldMessage[]>();
  private readonly holdMs: number;
  private readonly maxHeldPerGroup: number;
  private readonly maxHeldGroups: number;

  constructor(options: WorkersOptions = {}) {
    this.holdMs = options.holdMs ?? 30_000;
    this.maxHeldPerGroup = options.maxHeldPerGroup ?? 1000;
    this.maxHeldGroups = options.maxHeldGroups ?? 1000;
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
  }

  private hold(address: ParsedAddress, message: Message): void {
    const now = Date.now();
    const queue = (this.held.get(address.group) ?? []).filter((entry) => entry.until > now);
    queue.push({ address, message, until: now + this.holdMs });
    this.held.delete(address.group); // re-inserted last: the map stays ordered by latest hold
    this.held.set(address.group, queue.slice(-this.maxHeldPerGroup));
    if (this.held.size > this.maxHeldGroups) this.held.delete(this.held.keys().next().value!);
  }

  /** Hands a new connection the held messages it matches; keeps the rest. */
  private release(connection: WorkerConnection): void {
    const queue = this.held.get(connection.group);
    if (!queue) return;
    const now = Date.now();
    const kept: HeldMessage[] = [];
    for (const entry of queue) {
      if (entry.until <= now) continue;
      const forThisPid = entry.address.pid === connection.pid;
      if (entry.address.cast === "any" || forThisPid) connection.send(entry.message);
      else kept.push(entry);
    }
    if (kept.length > 0) this.held.set(connection.group, kept);
    else this.held.delete(connection.group);
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
