/**
 * What a test with real processes leaves behind, given back after each test: its child
 * processes are killed, its clients stopped, its folders removed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { Reprise } from "../../src/index.js";
import { kill, type Child } from "./child.js";

export interface PerTest {
  /** The children started in this test (still running or not), in the order they were tracked. */
  readonly children: Child[];
  /** A fresh folder for this test, and in it the store's file (named as given to perTest) and the side-effect log. */
  workspace(): { db: string; log: string };
  /** Kills `child` after the test, if the test has not. */
  track<T extends Child>(child: T): T;
  /** A client of the server at `url` (group "clients"), stopped after the test. */
  client(url: string): Reprise;
  /** Kills every child tracked so far, and forgets them. */
  killAll(): Promise<void>;
}

/** Call once at the top of a test file: registers the afterEach that cleans up. */
export function perTest(folderPrefix: string, dbName: string): PerTest {
  const children: Child[] = [];
  const clients: Reprise[] = [];
  const dirs: string[] = [];
  const killAll = async () => void (await Promise.all(children.splice(0).map(kill)));

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await killAll();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  return {
    children,
    workspace() {
      const dir = mkdtempSync(join(tmpdir(), folderPrefix));
      dirs.push(dir);
      return { db: join(dir, dbName), log: join(dir, "effects.log") };
    },
    track(child) {
      children.push(child);
      return child;
    },
    client(url) {
      const reprise = new Reprise({ url, group: "clients" });
      clients.push(reprise);
      return reprise;
    },
    killAll,
  };
}
