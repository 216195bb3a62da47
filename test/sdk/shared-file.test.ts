/**
 * Two embedded instances on one SQLite file (two connections, as two processes would have):
 * messages stay in the instance that committed, so each hears the other's commits through the
 * file's data version (OtherCommits) and looks at once: the worker sweeps for the task the
 * caller created, the caller polls for the result the worker wrote. Checked by what ran and by
 * the nudges each side received; how fast is the bench's business (docs/performance.md).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Reprise, type Context } from "../../src/index.js";
import { Sweeper } from "../../src/sdk/sweeper.js";
import { Waiters } from "../../src/sdk/waiters.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("instances sharing a SQLite file", () => {
  it("run each other's work and hear each other's results through the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-shared-file-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "shared.db");
    const sweeperNudges = vi.spyOn(Sweeper.prototype, "nudge");
    const waiterNudges = vi.spyOn(Waiters.prototype, "nudge");

    const worker = new Reprise({ store: path, group: "greeters", logLevel: "silent" });
    cleanups.push(() => worker.stop());
    const ran: string[] = [];
    function hello(_ctx: Context, name: string): string {
      ran.push(name);
      return `hello ${name}`;
    }
    function* greet(ctx: Context, name: string): Generator<unknown, string, unknown> {
      return yield* ctx.run(hello, name);
    }
    worker.register("greet", greet);
    const caller = new Reprise({ store: path, group: "callers", logLevel: "silent" });
    cleanups.push(() => caller.stop());
    await Promise.all([worker.ready(), caller.ready()]);

    const names = ["ada", "grace", "edsger"];
    const results = await Promise.all(names.map((name) => caller.rpc(`greet-${name}`, "greet", name, caller.options({ target: "greeters" }))));

    expect(results).toEqual(names.map((name) => `hello ${name}`));
    expect([...ran].sort()).toEqual([...names].sort());
    // Each side was told of the other's commits (a sweep nudged, a wait nudged).
    expect(sweeperNudges.mock.contexts.length).toBeGreaterThan(0);
    expect(waiterNudges.mock.calls.length).toBeGreaterThan(0);
  });
});
