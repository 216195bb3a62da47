/**
 * Retention seen from the SDK, embedded on SQLite: an id deduplicates while its execution is kept;
 * once purged, the same id starts a new execution whose steps run again (docs/retention.md). The
 * `retention` options (Reprise's and register's) decide when a finished execution goes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, Reprise, type Context } from "../../src/index.js";
import { TAG } from "../../src/protocol/tags.js";
import { openStore } from "../../src/store/index.js";

const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "reprise-retention-"));
  dirs.push(dir);
  return join(dir, "reprise.db");
}

const charges: string[] = [];

function charge(_ctx: Context, order: string): string {
  charges.push(order);
  return `charged ${order}`;
}

function* checkout(ctx: Context, order: string): Generator<unknown, string, unknown> {
  const receipt = yield* ctx.run(charge, order);
  yield* ctx.sleep(1);
  return receipt;
}

describe("retention, embedded", { timeout: 30_000 }, () => {
  it("deduplicates an id while its execution is kept; after a purge the same id runs its steps again", async () => {
    charges.length = 0;
    const store = await openStore(dbPath());
    const reprise = new Reprise({ store, logLevel: "silent" });
    stops.push(() => reprise.stop());
    reprise.register(checkout);

    expect(await reprise.run("order-1", checkout, "order-1")).toBe("charged order-1");
    expect(await reprise.run("order-1", checkout, "order-1")).toBe("charged order-1");
    expect(charges).toEqual(["order-1"]);

    const report = await store.purge!({ olderThanMs: 0 });
    expect(report).toMatchObject({ executions: 1, promises: 3, kept: 0 });
    expect(await store.finishedRoot!("order-1")).toBeUndefined();

    expect(await reprise.run("order-1", checkout, "order-1")).toBe("charged order-1");
    expect(charges).toEqual(["order-1", "order-1"]);
  });

  it("keeps finished executions as long as `retention` says, and a function's own retention over it", async () => {
    const file = dbPath();
    const reprise = new Reprise({ store: file, retention: 60_000, logLevel: "silent" });
    stops.push(() => reprise.stop());
    reprise.register(checkout);
    reprise.register("brief", checkout, { retention: 5_000 });
    reprise.register("kept", checkout, { retention: 0 });
    await reprise.run("usual-1", checkout, "a");
    await reprise.run<string>("brief-1", "brief", "b");
    await reprise.run<string>("kept-1", "kept", "c");

    const reader = await openStore(file);
    stops.push(() => reader.close());
    const usual = await reader.finishedRoot!("usual-1");
    expect(usual?.purgeAt).toBe(usual!.settledAt + 60_000);
    const brief = await reader.finishedRoot!("brief-1");
    expect(brief?.purgeAt).toBe(brief!.settledAt + 5_000);
    expect((await reprise.promises.get("brief-1")).tags[TAG.retention]).toBe("5000");
    expect(await reader.finishedRoot!("kept-1")).toEqual({ id: "kept-1", settledAt: expect.any(Number) as number });

    // The retention has passed for "brief" only.
    const report = await reader.purge!({ now: brief!.settledAt + 5_000 });
    expect(report.executions).toBe(1);
    expect(await reader.finishedRoot!("brief-1")).toBeUndefined();
    expect(await reader.finishedRoot!("usual-1")).toBeDefined();
  });

  it("refuses a retention that is not a whole number of ms, naming it", () => {
    const reprise = new Reprise({ store: ":memory:", logLevel: "silent" });
    stops.push(() => reprise.stop());
    expect(() => reprise.register("bad", checkout, { retention: -1 })).toThrow(InvalidArgumentError);
    expect(() => reprise.register("bad", checkout, { retention: 1.5 })).toThrow('register("bad"): retention: expected a whole number of milliseconds from 0');
    const refused = new Reprise({ store: ":memory:", retention: -5, logLevel: "silent" });
    stops.push(() => refused.stop());
    return expect(refused.ready()).rejects.toThrow(new InvalidArgumentError("retention: expected a whole number of milliseconds from 0 (0 keeps finished executions for ever), got -5"));
  });
});
