/** Runs the real `reprise` bin as a child process, and `reprise serve` on a free port. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/reprise.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function reprise(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServeChild {
  url: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** SIGKILLs the server if it is still running. */
  kill(): Promise<void>;
}

/** `reprise serve --port 0 ...`; resolves with the URL it prints once listening. */
export async function serve(args: string[] = [], env: Record<string, string> = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };

  const deadline = Date.now() + 20_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /listening on (http:\/\/\S+)/.exec(output))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill();
      throw new Error(`reprise serve did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { url: match[1]!, process: child, output: () => output, exited, kill };
}
