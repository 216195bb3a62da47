/**
 * A preload the store cuts short by bytes (big step results) is not the whole history: the worker
 * must ask the store about the rest rather than run a recorded step again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Reprise, type Context } from "../../src/index.js";

let dir: string | undefined;
let reprise: Reprise | undefined;

afterEach(async () => {
  await reprise?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  reprise = undefined;
  dir = undefined;
});

describe("a preload cut by bytes", () => {
  it("makes the replay read the rest of the history instead of running recorded steps again", async () => {
    let runs = 0;
    // About 2.7 MB each once stored: six of them are twice the response budget (8 MiB).
    function big(_ctx: Context, i: number): string {
      runs++;
      return `${i}`.repeat(2_000_000);
    }
    function* heavy(ctx: Context): Generator<unknown, number, unknown> {
      let length = 0;
      for (let i = 0; i < 6; i++) length += (yield* ctx.run(big, i)).length;
      const go = yield* ctx.promise({ id: "heavy-go" });
      yield* go;
      return length;
    }
    dir = mkdtempSync(join(tmpdir(), "reprise-preload-"));
    reprise = new Reprise({ store: join(dir, "r.db"), logLevel: "silent", determinism: "off" });
    reprise.register("heavy", heavy);
    const handle = await reprise.beginRun("heavy-1", "heavy");
    for (let tries = 0; tries < 600; tries++) {
      const waiting = await reprise.promises.get("heavy-go").catch(() => undefined);
      if (waiting) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await reprise.promises.resolve("heavy-go", true);
    expect(await handle.result()).toBe(12_000_000);
    expect(runs).toBe(6);
  }, 60_000);
});
