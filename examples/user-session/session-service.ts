/**
 * What the HTTP server (or any caller) does with sessions: start one, send it an activity, read
 * where it is. The workflow holds the state; this only starts it, signals it and reads it.
 */
import { randomUUID } from "node:crypto";
import { ConflictError, StoreError, type Handle, type Reprise } from "../../src/index.js";
import { signal } from "../shared/signal.js";
import type { Activity, ActivityStore, LogEntry } from "./activity-store.js";
import { activityId, activityIdPattern, sessionId, type SessionSummary } from "./user-session.js";

export class SessionNotFound extends Error {
  override name = "SessionNotFound";
}

export class SessionEnded extends Error {
  override name = "SessionEnded";
}

export interface SessionView {
  user: string;
  state: "active" | "ended";
  /** While active: when the session ends if no activity comes first (the current idle timer's deadline). */
  idleUntil?: number;
  summary?: SessionSummary;
  log: LogEntry[];
}

export class SessionService {
  constructor(
    private readonly reprise: Reprise,
    private readonly store: ActivityStore,
    private readonly idleMs: number,
    /** Told about every session this service starts or joins (main.ts announces their ends). */
    private readonly onSession: (handle: Handle<SessionSummary>) => void = () => {},
  ) {}

  /** Logs the user in: starts the session workflow (or joins it if it is running). */
  async start(user: string): Promise<void> {
    const handle = await this.reprise.beginRun<SessionSummary>(sessionId(user), "userSession", user, this.idleMs);
    if (await handle.done()) throw new SessionEnded(`the session of ${user} has ended; sessions are one per user in this example`);
    this.onSession(handle);
  }

  /** Sends the user's next activity. Returns its number in the session. */
  async sendActivity(user: string, kind: string): Promise<number> {
    await this.requireActive(user);
    const activity: Activity = { kind, at: Date.now() };
    // Two senders may pick the same number; the second one's key does not match and it moves on.
    for (;;) {
      const n = await this.nextActivityNumber(user);
      try {
        await signal(this.reprise, activityId(user, n), activity, { idempotencyKey: randomUUID() });
        return n;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }

  async view(user: string): Promise<SessionView> {
    const handle = await this.find(user);
    if (await handle.done()) return { user, state: "ended", summary: await handle.result(), log: await this.store.entries(user) };
    const idleUntil = await this.idleDeadline(user);
    return { user, state: "active", ...(idleUntil !== undefined ? { idleUntil } : {}), log: await this.store.entries(user) };
  }

  private async requireActive(user: string): Promise<void> {
    if (await (await this.find(user)).done()) throw new SessionEnded(`the session of ${user} has ended (it went idle)`);
  }

  private async find(user: string): Promise<Handle<SessionSummary>> {
    try {
      return await this.reprise.get<SessionSummary>(sessionId(user));
    } catch (error) {
      if (error instanceof StoreError && error.status === 404) throw new SessionNotFound(`no session for ${user}; log in first`);
      throw error;
    }
  }

  /** The deadline of the newest idle timer: each wait creates one, so the latest pending one is current. */
  private async idleDeadline(user: string): Promise<number | undefined> {
    const { promises } = await this.reprise.promises.search({ id: `${sessionId(user)}.*`, state: "pending", tags: { "reprise:kind": "sleep" } });
    return promises.length ? Math.max(...promises.map((timer) => timer.timeoutAt)) : undefined;
  }

  /** The number the workflow waits for: the highest activity promise if still pending, else the next. */
  private async nextActivityNumber(user: string): Promise<number> {
    let highest = 0;
    let highestPending = false;
    let cursor: string | undefined;
    do {
      const page = await this.reprise.promises.search({ id: activityIdPattern(user), limit: 100, cursor });
      for (const promise of page.promises) {
        const n = Number(promise.id.slice(promise.id.lastIndexOf("-") + 1));
        if (n > highest) {
          highest = n;
          highestPending = promise.state === "pending";
        }
      }
      cursor = page.cursor;
    } while (cursor);
    return highestPending ? highest : highest + 1;
  }
}
