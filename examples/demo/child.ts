/**
 * Runs the account-creation example as a child process and hands each line it prints to the
 * narrator, which decides what to say (and when to kill -9 it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ACCOUNT_CREATION = "examples/account-creation/main.ts";

export interface Run {
  pid: number;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<void>;
  kill(): Promise<void>;
}

export function runAccountCreation(uuid: string, env: Record<string, string>, onLine: (line: string, run: Run) => void): Run {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", ACCOUNT_CREATION, uuid], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const run: Run = {
    pid: child.pid ?? -1,
    exited,
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line, run);
  });
  return run;
}
