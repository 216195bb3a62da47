/**
 * Flow control through the SDK, embedded (SQLite): limits given to `register` are declared to the
 * store, which holds executions beyond them queued and starts them as room frees.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, type Context, type Reprise } from "../../src/index.js";
import { embeddedInstances } from "./fixtures/embedded.js";

const embedded = embeddedInstances("reprise-flow-");

function open(): Reprise {
  return embedded.open({ logLevel: "error" });
}

/** Counts steps running at once, overall and per key, and the order they began in. */
class Meter {
  running = new Map<string, number>();
  peak = new Map<string, number>();
  began: string[] = [];
  private readonly gates = new Map<string, () => void>();
  private readonly waiting = new Map<string, Promise<void>>();

  /** The step `id` waits until `open(id)`, or not at all if `hold` is false. */
  async step(id: string, key: string, hold: boolean): Promise<string> {
    this.began.push(id);
    for (const k of ["*", key]) {
      const now = (this.running.get(k) ?? 0) + 1;
      this.running.set(k, now);
      this.peak.set(k, Math.max(this.peak.get(k) ?? 0, now));
    }
    await (hold ? this.gate(id) : new Promise((resolve) => setTimeout(resolve, 30)));
    for (const k of ["*", key]) this.running.set(k, this.running.get(k)! - 1);
    return id;
  }

  open(id: string): void {
    void this.gate(id);
    this.gates.get(id)!();
  }

  private gate(id: string): Promise<void> {
    let waiting = this.waiting.get(id);
    if (!waiting) {
      waiting = new Promise<void>((resolve) => this.gates.set(id, resolve));
      this.waiting.set(id, waiting);
    }
    return waiting;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe("flow control (embedded)", () => {
  it("runs at most `concurrency` executions of a function at once, and all of them", async () => {
    const reprise = open();
    const meter = new Meter();
    function* charge(ctx: Context, id: string): Generator<unknown, string, unknown> {
      return yield* ctx.run((_ctx: Context) => meter.step(id, "all", false));
    }
    const registered = reprise.register("charge", charge, { concurrency: 2 });
    const ids = ["c1", "c2", "c3", "c4", "c5", "c6"];
    const handles = await Promise.all(ids.map((id) => registered.beginRun(id, id)));
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual(ids);
    expect(meter.peak.get("*")).toBe(2);
  });

  it("counts per key when the limit has a key function, computed from the arguments", async () => {
    const reprise = open();
    const meter = new Meter();
    function* charge(ctx: Context, customer: string, n: number): Generator<unknown, string, unknown> {
      return yield* ctx.run((_ctx: Context) => meter.step(`${customer}${n}`, customer, false));
    }
    const registered = reprise.register("charge", charge, { concurrency: { limit: 1, key: (customer: string) => customer } });
    const runs = [["a", 1], ["a", 2], ["a", 3], ["b", 1], ["b", 2]] as const;
    const handles = await Promise.all(runs.map(([customer, n]) => registered.beginRun(`${customer}-${n}`, customer, n)));
    await Promise.all(handles.map((h) => h.result()));
    expect(meter.peak.get("a")).toBe(1);
    expect(meter.peak.get("b")).toBe(1);
    expect(meter.peak.get("*")).toBe(2);
  });

  it("starts a high-priority execution before those queued earlier", async () => {
    const reprise = open();
    const meter = new Meter();
    function* charge(ctx: Context, id: string): Generator<unknown, string, unknown> {
      return yield* ctx.run((_ctx: Context) => meter.step(id, "all", id === "first"));
    }
    const registered = reprise.register("charge", charge, { concurrency: 1 });
    const first = await registered.beginRun("first", "first");
    await until(() => meter.began.includes("first"), "the first execution to start");
    const low = [];
    for (const id of ["low-1", "low-2", "low-3"]) low.push(await registered.beginRun(id, id));
    const high = await registered.beginRun("high", "high", reprise.options({ priority: 10 }));
    meter.open("first");
    await Promise.all([first, ...low, high].map((h) => h.result()));
    expect(meter.began).toEqual(["first", "high", "low-1", "low-2", "low-3"]);
  });

  it("tags an execution with its flow key and priority: computed, per call, and for a child started by a workflow", async () => {
    const reprise = open();
    function* charge(_ctx: Context, customer: string): Generator<unknown, string, unknown> {
      return customer;
    }
    function* parent(ctx: Context): Generator<unknown, string, unknown> {
      return yield* ctx.rpc<string>("charge", "c", ctx.options({ id: "child", priority: 7, flowKey: "vip" }));
    }
    reprise.register("charge", charge, { concurrency: { limit: 2, key: (customer: string) => `customer-${customer}` } });
    reprise.register("parent", parent);
    reprise.register("unlimited", function* (): Generator<unknown, number, unknown> {
      return 1;
    });
    await reprise.run("computed", "charge", "a");
    await reprise.run("per-call", "charge", "b", reprise.options({ flowKey: "batch", priority: -3 }));
    await reprise.run("parent-1", "parent");
    await reprise.run("plain", "unlimited");
    const tags = async (id: string) => {
      const { tags: all } = await reprise.promises.get(id);
      return { flow: all["reprise:flow"], priority: all["reprise:priority"] };
    };
    expect(await tags("computed")).toEqual({ flow: "customer-a", priority: undefined });
    expect(await tags("per-call")).toEqual({ flow: "batch", priority: "-3" });
    expect(await tags("child")).toEqual({ flow: "vip", priority: "7" });
    expect(await tags("plain")).toEqual({ flow: undefined, priority: undefined });
  });

  it("refuses bad limits at register, naming the field", () => {
    const reprise = open();
    const noop = function* (): Generator<unknown, void, unknown> {};
    expect(() => reprise.register("a", noop, { concurrency: 0 })).toThrow(InvalidArgumentError);
    expect(() => reprise.register("b", noop, { concurrency: 0 })).toThrow(/concurrency: expected a whole number from 1/);
    expect(() => reprise.register("c", noop, { rateLimit: { limit: 5, periodMs: 1.5 } })).toThrow(/rateLimit\.periodMs/);
    expect(() => reprise.register("d", noop, { concurrency: { limit: 1, key: (x: string) => x }, rateLimit: { limit: 1, periodMs: 10, key: (y: string) => y } })).toThrow(
      /must be the same function/,
    );
  });
});
