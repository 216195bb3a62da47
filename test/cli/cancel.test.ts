/** `reprise cancel` end to end: the real bin against `reprise serve`, with a worker running the execution. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, Reprise, type Context } from "../../src/index.js";
import { reprise, serve, type ServeChild } from "./run-cli.js";

let server: ServeChild;
let worker: Reprise;
const compensations: string[] = [];

function undo(_ctx: Context, what: string): void {
  compensations.push(what);
}

function* waiting(ctx: Context): Generator<unknown, string, unknown> {
  try {
    yield* ctx.sleep(60 * 60_000);
    return "woke";
  } catch (error) {
    yield* ctx.run(undo, (error as CancelledError).reason ?? "no reason");
    throw error;
  }
}

beforeAll(async () => {
  server = await serve(["--store", ":memory:"]);
  worker = new Reprise({ url: server.url, group: "default", logLevel: "error" });
  worker.register(waiting);
});
afterAll(async () => {
  await worker.stop();
  await server.kill();
});

const cli = (...args: string[]) => reprise(["--server", server.url, ...args]);

async function untilPending(id: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await worker.promises.get(id).catch(() => undefined))?.state !== "pending") {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("reprise cancel", () => {
  it("cancels an execution with a reason, then says it had finished", async () => {
    const handle = await worker.beginRun("cli-cancel-1", waiting);
    await untilPending("cli-cancel-1.1");
    const first = await cli("cancel", "cli-cancel-1", "--reason", "ops said so");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("cli-cancel-1 is asked to cancel");
    await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
    expect(compensations).toEqual(["ops said so"]);

    const again = await cli("--json", "cancel", "cli-cancel-1");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: "cli-cancel-1", outcome: "finished", state: "rejected_canceled" });
  });

  it("says a second request changes nothing", async () => {
    await worker.promises.create("not-run", { tags: { "resonate:target": "poll://any@nobody", "reprise:kind": "root" } });
    expect((await cli("--json", "cancel", "not-run")).stdout).toContain('"outcome": "requested"');
    const again = await cli("cancel", "not-run");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("was already asked to cancel");
  });

  it("fails with exit 1 for an unknown id or a promise that is not an execution, and exit 2 for a bad id", async () => {
    const unknown = await cli("cancel", "nobody-here");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no execution with id "nobody-here"`);
    await worker.promises.create("just-a-promise");
    const plain = await cli("cancel", "just-a-promise");
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("is not an execution");
    expect((await worker.promises.get("just-a-promise")).state).toBe("pending");
    expect((await cli("cancel", "")).code).toBe(2);
  });

  it("exits 3 when no server answers", async () => {
    const result = await reprise(["--server", "http://127.0.0.1:9", "cancel", "x"]);
    expect(result.code).toBe(3);
  });
});
