/**
 * The workers connected to this server over `/poll/<group>/<pid>`, and the routing of store
 * messages to them: `poll://uni@g/pid` reaches that process, `poll://any@g/pid` that process if
 * it is connected here or else one member of the group (round-robin), and a bare `g` any member.
 */
import type { Message } from "../protocol/messages.js";
import { parseAddress } from "../protocol/tags.js";

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

export class Workers {
  /** group → pid → connections of that pid, newest last (a reconnect can overlap the old stream). */
  private readonly groups = new Map<string, Map<string, WorkerConnection[]>>();
  private readonly turns = new Map<string, number>();

  add(connection: WorkerConnection): () => void {
    const pids = this.groups.get(connection.group) ?? new Map<string, WorkerConnection[]>();
    this.groups.set(connection.group, pids);
    pids.set(connection.pid, [...(pids.get(connection.pid) ?? []), connection]);
    return () => this.remove(connection);
  }

  /** Delivers a message to the address; returns false when no connected worker matches. */
  deliver(address: string, message: Message): boolean {
    const parsed = parseAddress(address);
    if (!parsed || parsed.scheme !== "poll") return false;
    const pids = this.groups.get(parsed.group);
    if (!pids) return false;

    const named = parsed.pid === undefined ? undefined : pids.get(parsed.pid)?.at(-1);
    const target = named ?? (parsed.cast === "any" ? this.nextInGroup(parsed.group, pids) : undefined);
    if (!target) return false;
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
