/** An `async function*` cannot be driven as a workflow: it is refused clearly instead of hanging. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { InvalidArgumentError, Reprise, type Context } from "../../src/index.js";

let dir: string;
let reprise: Reprise;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reprise-async-gen-"));
  reprise = new Reprise({ store: join(dir, "reprise.db") });
});
afterEach(async () => {
  await reprise.stop();
  rmSync(dir, { recursive: true, force: true });
});

function step(): number {
  return 1;
}

it("refuses an async generator at register, naming the fix", () => {
  async function* flow(ctx: Context) {
    yield* ctx.run(step);
  }
  expect(() => reprise.register("flow", flow as never)).toThrow(InvalidArgumentError);
  expect(() => reprise.register("flow", flow as never)).toThrow(/async function\*.*function\*/);
});

it("fails a child that is an async generator instead of hanging", async () => {
  async function* child(ctx: Context) {
    yield* ctx.run(step);
  }
  function* parent(ctx: Context): Generator<unknown, unknown, unknown> {
    return yield* ctx.run(child as unknown as (c: Context) => number);
  }
  reprise.register("parent", parent);
  await expect(reprise.run("async-gen-child", "parent")).rejects.toThrow(/async generator/);
});
