/**
 * An example program running in a child process (`node --import tsx <entry>`), watched line by
 * line so a test can wait for `STEP ...` / `HANG ...` and SIGKILL it right there. Every process
 * started here is tracked; call `killAll()` in afterEach so no child outlives its test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach } from "vitest";
import { TempDir } from "./temp-dir.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface Line {
  text: string;
  /** Date.now() when the test saw it. */
  at: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ExampleProcess>();

export class ExampleProcess {
  readonly lines: Line[] = [];
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  private stderrText = "";
  private partial = "";
  private readonly watchers = new Set<() => void>();
  private exit: Exit | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => this.onStdout(chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderrText += chunk));
    this.exited = new Promise<Exit>((resolve) => {
      child.on("exit", (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        this.notify();
        resolve(this.exit);
      });
    });
  }

  /** Starts `entry` (a path relative to the repository root) with extra environment variables. */
  static start(entry: string, options: { env?: Record<string, string>; args?: string[]; name?: string } = {}): ExampleProcess {
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...(options.args ?? [])], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = new ExampleProcess(options.name ?? entry, child);
    live.add(started);
    return started;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Lines that start with `prefix` (e.g. "CALL sor."), across the whole run. */
  linesStarting(prefix: string): string[] {
    return this.lines.map((line) => line.text).filter((text) => text.startsWith(prefix));
  }

  /** Waits for the first line matching `pattern` (seen before or after this call). */
  waitFor(pattern: string | RegExp, timeoutMs = 20_000): Promise<Line> {
    const matches = (text: string): boolean => (typeof pattern === "string" ? text.startsWith(pattern) : pattern.test(text));
    return new Promise<Line>((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find((line) => matches(line.text));
        if (found) {
          done();
          resolve(found);
        } else if (this.exit) {
          done();
          reject(new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before printing ${String(pattern)}\n${this.transcript()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no line matching ${String(pattern)} within ${timeoutMs} ms\n${this.transcript()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Waits for the process to exit by itself. */
  async waitForExit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.transcript()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** kill -9, and wait until the process is gone. */
  async kill(): Promise<Exit> {
    if (!this.exit) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** stdout and stderr, for failure messages. */
  transcript(): string {
    return `--- stdout of ${this.name} (pid ${this.pid})\n${this.lines.map((line) => line.text).join("\n")}\n--- stderr\n${this.stderrText}`;
  }

  private onStdout(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    const at = Date.now();
    for (const text of parts) this.lines.push({ text, at });
    this.notify();
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}

/** SIGKILLs every example process still running; for afterEach. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((child) => child.kill()));
}

/**
 * Registers the hooks every crash test of the examples needs: a fresh directory before each test;
 * after it, every example process killed and the directory removed. Read `.dir` inside a test.
 */
export function freshDirPerTest(): { readonly dir: TempDir } {
  let current: TempDir | undefined;
  beforeEach(() => {
    current = new TempDir();
  });
  afterEach(async () => {
    await killAll();
    current?.remove();
  });
  return {
    get dir(): TempDir {
      if (!current) throw new Error("freshDirPerTest: .dir is only there inside a test");
      return current;
    },
  };
}
