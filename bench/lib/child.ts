/**
 * Child processes for the bench. Every Reprise configuration runs in a fresh
 * `node .tmp/bench-build/bench/<scenario>.js …` process (compiled by tsc at the start of the
 * bench; through tsx when asked), so one scenario's heap and JIT state never
 * leak into another. A child talks back with lines `BENCH {json}` on stdout (anything else is
 * log output, kept for error messages); the parent may send it JSON lines on stdin.
 *
 * Every child is registered and SIGKILLed when the bench exits, however it exits; and every child
 * exits by itself when its stdin closes (the parent died), see `exitWithParent`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type Message = Record<string, unknown> & { type: string };

const PREFIX = "BENCH ";
/** Where the compiled bench and library are (see `useCompiled`); undefined: run the sources through tsx. */
let compiledRoot: string | undefined;

/**
 * Children run the JavaScript tsc made of the bench and the library, as a production process runs
 * compiled code: not through tsx, whose on-the-fly transform and helpers would be measured too.
 */
export function useCompiled(root: string): void {
  compiledRoot = root;
}
/** Flags for node itself in every child started after this (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
let nodeFlags: string[] = [];
export function useNodeFlags(flags: string[]): void {
  nodeFlags = flags;
}
const live = new Set<ChildProcess>();
let exitHooked = false;

export function killAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  live.clear();
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  private log = "";
  private buffer = "";
  private readonly messages: Message[] = [];
  private readonly wakers = new Set<() => void>();

  constructor(
    readonly name: string,
    script: string,
    args: string[] = [],
    env: Record<string, string> = {},
  ) {
    hookExit();
    const source = fileURLToPath(new URL(`../${script}`, import.meta.url));
    const command = compiledRoot === undefined ? ["--import", "tsx", source] : [join(compiledRoot, "bench", script.replace(/\.ts$/, ".js"))];
    this.process = spawn(process.execPath, [...nodeFlags, ...command, ...args], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    live.add(this.process);
    this.process.stdout!.on("data", (chunk: Buffer) => this.onData(chunk.toString()));
    this.process.stderr!.on("data", (chunk: Buffer) => this.keepLog(chunk.toString()));
    this.process.stdin!.on("error", () => {}); // a child that died: its exit is reported instead
    this.exited = new Promise((resolve) => {
      this.process.on("exit", (code) => {
        live.delete(this.process);
        this.wake();
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  send(message: Record<string, unknown>): void {
    this.process.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  /** The next message of `type` (messages are consumed in order), or an error after `timeoutMs`. */
  async next(type: string, timeoutMs: number): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type || m.type === "error");
      if (index >= 0) {
        const [message] = this.messages.splice(index, 1);
        if (message!.type === "error") throw new Error(`${this.name}: ${String(message!.message)}`);
        return message!;
      }
      if (!this.alive) throw new Error(`${this.name} exited (${this.process.exitCode ?? this.process.signalCode}) before "${type}":\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no "${type}" within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakers.add(done);
      });
    }
  }

  /** The next message of `type` if one has arrived, without waiting. */
  poll(type: string): Message | undefined {
    const index = this.messages.findIndex((m) => m.type === type);
    return index >= 0 ? this.messages.splice(index, 1)[0] : undefined;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.alive) this.process.kill(signal);
    await this.exited;
  }

  /** Ends the child gently (stdin closed: it stops its Reprise and exits), SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.process.stdin!.end();
    const timer = setTimeout(() => void this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  tail(): string {
    return this.log.slice(-3_000);
  }

  private onData(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (line.startsWith(PREFIX)) {
        this.messages.push(JSON.parse(line.slice(PREFIX.length)) as Message);
        this.wake();
      } else {
        this.keepLog(`${line}\n`);
      }
    }
  }

  private keepLog(text: string): void {
    this.log = (this.log + text).slice(-20_000);
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
    this.wakers.clear();
  }
}

/** Resident set size of a process, in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.replace(/\D+/g, "")) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---- the child's side ----

/** Sends one message to the parent. */
export function emit(type: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${PREFIX}${JSON.stringify({ type, ...fields })}\n`);
}

/**
 * Reads the parent's JSON lines; when stdin closes (the parent ended us, or died), runs `onEnd`
 * (give it a few seconds to stop Reprise) and exits.
 */
export function listenToParent(onMessage: (message: Message) => void, onEnd: () => Promise<void> = async () => {}): void {
  listening = true;
  let buffer = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (text: string) => {
    buffer += text;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) onMessage(JSON.parse(line) as Message);
    }
  });
  process.stdin.on("end", () => {
    setTimeout(() => process.exit(0), 3_000).unref();
    onEnd().finally(() => process.exit(0));
  });
}

let listening = false;

/**
 * Runs a child's main; any failure is reported to the parent as an `error` message. A child that
 * does not `listenToParent` still exits as soon as its stdin closes (the parent is gone).
 */
export function childMain(main: () => Promise<void>): void {
  process.stdin.on("end", () => {
    if (!listening) process.exit(0);
  });
  process.stdin.resume();
  main().catch((error: unknown) => {
    emit("error", { message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}

/** `--name value` from argv. */
export function flag(name: string, fallback: string): string;
export function flag(name: string): string | undefined;
export function flag(name: string, fallback?: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
