/**
 * A caller waiting for an execution this process is running is told by the worker when it
 * completes: no listener is registered for it. Only a run that ends otherwise (suspended, lease
 * lost) leaves a listener behind it, so that whoever finishes the execution tells the caller.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Reprise, type Context } from "../../src/index.js";
import type { Request, Response } from "../../src/protocol/requests.js";
import { openStore } from "../../src/store/index.js";
import { EmbeddedTransport } from "../../src/transport/embedded.js";

/** An embedded transport that notes the kind of every request sent through it. */
class CountingTransport extends EmbeddedTransport {
  readonly sent: Request[] = [];
  override send<R extends Request>(req: R): Promise<Response<R["kind"]>> {
    this.sent.push(req);
    return super.send(req);
  }
  listenersFor(id: string): number {
    return this.sent.filter((req) => req.kind === "promise.register_listener" && req.data.awaited === id).length;
  }
}

const instances: Reprise[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((reprise) => reprise.stop()));
});

async function open(): Promise<{ reprise: Reprise; transport: CountingTransport }> {
  const transport = new CountingTransport(await openStore(":memory:"));
  const reprise = new Reprise({ transport, logLevel: "silent" });
  instances.push(reprise);
  return { reprise, transport };
}

describe("waiting for an execution's result", () => {
  it("registers no listener for an execution that completes in this process", async () => {
    const { reprise, transport } = await open();
    function* twoSteps(ctx: Context): Generator<unknown, number, unknown> {
      const one = yield* ctx.run(() => 1);
      return one + (yield* ctx.run(() => 2));
    }
    reprise.register("twoSteps", twoSteps);
    expect(await reprise.run("completes-here", "twoSteps")).toBe(3);
    expect(transport.listenersFor("completes-here")).toBe(0);
  });

  it("registers the listener once the run here ends unfinished, and the caller still hears", async () => {
    const { reprise, transport } = await open();
    function* awaitsSignal(ctx: Context): Generator<unknown, string, unknown> {
      const signal = yield* ctx.promise<string>({ id: "leaves-signal" });
      return yield* signal;
    }
    reprise.register("awaitsSignal", awaitsSignal);
    const handle = await reprise.beginRun("leaves", "awaitsSignal");
    const result = handle.result();
    while (transport.listenersFor("leaves") === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // Registered after the suspension, not before it.
    const suspendedAt = transport.sent.findIndex((req) => req.kind === "task.suspend");
    const listenedAt = transport.sent.findIndex((req) => req.kind === "promise.register_listener" && req.data.awaited === "leaves");
    expect(suspendedAt).toBeGreaterThanOrEqual(0);
    expect(listenedAt).toBeGreaterThan(suspendedAt);
    await reprise.promises.resolve("leaves-signal", "signalled");
    expect(await result).toBe("signalled");
  });
});
