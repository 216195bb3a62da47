/** Helpers for tests that run a Reprise server and HTTP workers as real child processes. */
import { createServer } from "node:net";
import { startChild, until, type Child } from "./child.js";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a server fixture (default fixtures/server.ts) on `store` and `port` (0: any free port). */
export async function startServerChild(store: string, port: number, fixture = "./fixtures/server.ts", env: Record<string, string> = {}): Promise<{ child: Child; url: string }> {
  const child = startChild(fixture, { STORE: store, PORT: String(port), ...env });
  await until(() => child.output().includes("LISTENING ") || child.process.exitCode !== null, 20_000, "the server to listen");
  const line = child.output().split("\n").find((l) => l.startsWith("LISTENING "));
  if (!line) throw new Error(`server did not start:\n${child.output()}`);
  return { child, url: line.slice("LISTENING ".length).trim() };
}

export function startWorkerChild(url: string, log: string, env: Record<string, string> = {}): Child {
  return startChild("./fixtures/http-worker.ts", { URL: url, LOG: log, GROUP: "workers", TTL: "1500", ...env });
}
