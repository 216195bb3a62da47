/**
 * ctx.patched: new code for new executions, the old path for executions whose history passed the
 * patch point before it existed, and no shift in the ids of the calls after it.
 */
import { describe, expect, it } from "vitest";
import type { Context } from "../../src/engine/context.js";
import { decodeValue } from "../../src/protocol/codec.js";
import { completedValue as valueOf, FakeEffects, run } from "./fake-effects.js";

const ran: string[] = [];
function charge(): string {
  ran.push("charge");
  return "charged";
}
function email(): string {
  ran.push("email");
  return "emailed";
}
function audit(): string {
  ran.push("audit");
  return "audited";
}

/** Version 1: email, then wait for a signal, then charge. */
function* v1(ctx: Context): Generator<unknown, string[], unknown> {
  const a = yield* ctx.run(email);
  const signal = yield* ctx.promise<string>();
  yield* signal;
  return [a, yield* ctx.run(charge)];
}

/** Version 2: an audit step, before everything, for executions that start with this code. */
function* v2(ctx: Context): Generator<unknown, string[], unknown> {
  const out: string[] = [];
  if (yield* ctx.patched("audit-first")) out.push(yield* ctx.run(audit));
  out.push(yield* ctx.run(email));
  const signal = yield* ctx.promise<string>();
  yield* signal;
  out.push(yield* ctx.run(charge));
  return out;
}

describe("ctx.patched", () => {
  it("keeps an execution started with the old code on the old path, with its recorded ids", async () => {
    const effects = new FakeEffects();
    ran.length = 0;
    expect((await run(effects, v1)).type).toBe("suspended");
    effects.external("wf.2", "resolved");
    // Deployed: the new code replays the old history.
    expect(valueOf(await run(effects, v2))).toEqual(["emailed", "charged"]);
    expect(ran).toEqual(["email", "charge"]);
    expect(decodeValue(effects.records.get("wf.patch.audit-first")!.value)).toBe(false);
    expect(effects.records.get("wf.3")?.tags["reprise:func"]).toBe("charge");
  });

  it("runs the new code in an execution that starts with it, and every replay agrees", async () => {
    const effects = new FakeEffects();
    ran.length = 0;
    expect((await run(effects, v2)).type).toBe("suspended");
    effects.external("wf.3", "resolved");
    expect(valueOf(await run(effects, v2))).toEqual(["audited", "emailed", "charged"]);
    expect(ran).toEqual(["audit", "email", "charge"]);
    expect(effects.records.get("wf.1")?.tags["reprise:func"]).toBe("audit");
  });

  it("takes no position in the id sequence", async () => {
    const effects = new FakeEffects();
    function* flow(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.patched("a");
      return yield* ctx.run(email);
    }
    await run(effects, flow);
    expect([...effects.records.keys()].sort()).toEqual(["wf.1", "wf.patch.a"]);
  });
});
