/**
 * Which locked promises have callbacks or listeners, learnt for all of them in one query, so that
 * settling a promise nobody waits for (most of them: a workflow's end, a timer nobody else awaits)
 * costs no DELETE round trips for its callbacks, listeners and the callbacks of its task.
 *
 * Sound because of the lock order: a callback on awaited X (register_callback, task.suspend) is
 * added only by a transaction holding X's promise row lock, and so is a listener on X and a
 * callback whose awaiter is X (register_callback locks the awaiter; task.suspend holds the task
 * and locks its promise). So once this transaction holds X's lock, nobody else can add any;
 * others may only remove some (a fulfilled awaiter drops its callbacks), which at worst costs a
 * DELETE that finds nothing. The query runs after the locks are taken, with a fresh snapshot
 * (READ COMMITTED), so it sees everything committed before them.
 */
import type { PoolClient } from "pg";

const CHECK = `SELECT id,
    EXISTS (SELECT 1 FROM callbacks WHERE awaited = id) AS awaited,
    EXISTS (SELECT 1 FROM listeners WHERE awaited = id) AS listened,
    EXISTS (SELECT 1 FROM callbacks WHERE awaiter = id) AS awaiting
  FROM unnest($1::text[]) AS id`;

interface Known {
  /** Callbacks with this promise as awaited. */
  awaited: boolean;
  /** Listeners on this promise. */
  listened: boolean;
  /** Callbacks with this promise (its task) as awaiter. */
  awaiting: boolean;
}

export type WaiterKind = keyof Known;

export class Waiters {
  /** Promises this transaction holds locked whose waiters are not known yet. */
  private readonly unchecked = new Set<string>();
  private readonly known = new Map<string, Known>();

  /** This transaction now holds the row lock of promise `id`. */
  locked(id: string): void {
    if (!this.known.has(id)) this.unchecked.add(id);
  }

  /** Promise `id` was inserted by this transaction: nobody else could have registered on it. */
  inserted(id: string): void {
    this.unchecked.delete(id);
    this.known.set(id, { awaited: false, listened: false, awaiting: false });
  }

  /** Whether `id` may have waiters of `kind`; true when unknown (the caller then asks the table). */
  async mayHave(client: PoolClient, id: string, kind: WaiterKind): Promise<boolean> {
    if (this.unchecked.has(id)) await this.check(client);
    return this.known.get(id)?.[kind] ?? true;
  }

  /** This transaction added (true) or removed every (false) waiter of `kind` on `id`. */
  set(id: string, kind: WaiterKind, present: boolean): void {
    const known = this.known.get(id);
    if (known) known[kind] = present;
  }

  private async check(client: PoolClient): Promise<void> {
    const ids = [...this.unchecked];
    this.unchecked.clear();
    const result = await client.query<Known & { id: string }>({ name: "reprise_waiters", text: CHECK, values: [ids] });
    for (const row of result.rows) this.known.set(row.id, { awaited: row.awaited, listened: row.listened, awaiting: row.awaiting });
  }
}
