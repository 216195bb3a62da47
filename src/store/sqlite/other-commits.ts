/**
 * Notices commits by other connections to the same file: another process sharing it, or the
 * command line. SQLite tells a connection nothing of them, and messages (execute, unblock) stay
 * in the process that committed; but `PRAGMA data_version` moves whenever another connection
 * has committed. Checked every `everyMs` while someone listens (a few µs a check), a change is
 * told to the listeners once: it is their cue to look (a sweep for work, a poll of the results
 * being waited for) instead of waiting for their next scheduled look.
 */
import type Database from "better-sqlite3";

/** How often the data version is read while someone listens. */
export const OTHER_COMMITS_CHECK_MS = 25;

export class OtherCommits {
  private readonly listeners = new Set<() => void>();
  private readonly versionStatement: Database.Statement;
  private timer: NodeJS.Timeout | undefined;
  private version: number | undefined;
  private closed = false;

  constructor(
    db: Database.Database,
    private readonly everyMs: number = OTHER_COMMITS_CHECK_MS,
  ) {
    this.versionStatement = db.prepare("PRAGMA data_version").pluck();
  }

  /** Calls `listener` after each check that found other connections' commits; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    if (this.closed) return () => {};
    this.listeners.add(listener);
    if (this.timer === undefined) {
      // What was committed before anyone listened is not news.
      this.version = this.read();
      // A check is cheap, but it must not keep a process alive that has nothing else to do.
      this.timer = setInterval(() => this.checkQuietly(), this.everyMs).unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopTimer();
    };
  }

  /** Reads the data version now and tells the listeners if another connection committed since the last read. */
  check(): void {
    if (this.closed || this.listeners.size === 0) return;
    const version = this.read();
    const moved = version !== this.version;
    this.version = version;
    if (!moved) return;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        // A listener's failure is its own: the others still hear.
        console.error("reprise: a listener for other processes' commits threw", error);
      }
    }
  }

  /** A check on the timer: a failing read (a disk error) must not crash the process from a timer; the next transaction reports it. */
  private checkQuietly(): void {
    try {
      this.check();
    } catch {
      // Nothing to tell: the next check tries again.
    }
  }

  /** Before the connection closes: no check may run on it after. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stopTimer();
  }

  private read(): number {
    return this.versionStatement.get() as number;
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
