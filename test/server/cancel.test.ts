/**
 * Cancellation over HTTP: two worker processes in different groups of one Reprise server. The
 * execution on `front` awaits an rpc'd execution on `back`; cancelling the first reaches the
 * second (its own request, recorded by the first), both run their compensation once and end
 * rejected_canceled. And an execution of the official SDK, cancelled through our server, ends
 * rejected_canceled as the protocol's cancel says.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, Reprise } from "../../src/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { kill, readLog, startChild, until, type Child } from "../e2e/child.js";
import { answer, base64Json, eventually, startTestServer, workerConnected, type TestServer } from "./harness.js";

let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), "reprise-cancel-http-"));
const children: Child[] = [];
const clients: Reprise[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(fixture: string, env: Record<string, string>, group: string): Promise<void> {
  const child = startChild(fixture, { URL: server.url, GROUP: group, ...env });
  children.push(child);
  await workerConnected(child, server.url, group, `the ${group} worker`);
}

function client(): Reprise {
  const reprise = new Reprise({ url: server.url, group: "ops", logLevel: "error" });
  clients.push(reprise);
  return reprise;
}

async function state(reprise: Reprise, id: string): Promise<string | undefined> {
  return (await reprise.promises.get(id).catch(() => undefined))?.state;
}

describe("cancellation through a Reprise server", () => {
  it("cancels an execution and the rpc'd execution it awaits on another group's worker process", async () => {
    const log = join(dir, "trip.log");
    await startWorker("../server/fixtures/cancel-worker.ts", { LOG: log }, "front");
    await startWorker("../server/fixtures/cancel-worker.ts", { LOG: log }, "back");
    const ops = client();
    const handle = await ops.beginRpc("trip-1", "trip", ops.options({ target: "front" }));
    await eventually(async () => ((await state(ops, "trip-1.1.2")) === "pending" ? true : undefined), 20_000, "the hotel to wait");

    expect(await ops.cancel("trip-1", "plans changed")).toMatchObject({ outcome: "requested" });
    const error = await handle.result().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect(error).toMatchObject({ executionId: "trip-1", reason: "plans changed" });
    await eventually(async () => ((await state(ops, "trip-1.1")) !== "pending" ? true : undefined), 20_000, "the hotel to end");
    expect(await state(ops, "trip-1")).toBe("rejected_canceled");
    expect(await state(ops, "trip-1.1")).toBe("rejected_canceled");
    expect(await state(ops, "trip-1.1.2")).toBe("rejected_canceled");
    // The parent's request to the child is tagged as the parent's.
    expect((await ops.promises.get("trip-1.1.cancel")).tags[TAG.origin]).toBe("trip-1");
    const done = readLog(log).map((line) => line.split(" ")[0]);
    expect(done.sort()).toEqual(["notify", "reserve", "unreserve"]);
    expect(await ops.cancel("trip-1")).toMatchObject({ outcome: "finished", state: "rejected_canceled" });
  }, 60_000);

  it("aborts the signal of a step running on a worker process of another group", async () => {
    const log = join(dir, "fetch.log");
    await startWorker("../server/fixtures/cancel-worker.ts", { LOG: log }, "back");
    const ops = client();
    const handle = await ops.beginRpc("fetch-1", "fetcher", ops.options({ target: "back" }));
    await until(() => readLog(log).some((line) => line.startsWith("started")), 20_000, "the download to start");
    expect(await ops.cancel("fetch-1")).toMatchObject({ outcome: "requested" });
    await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
    expect(readLog(log).map((line) => line.split(" ")[0])).toEqual(["started", "aborted"]);
    expect(await state(ops, "fetch-1")).toBe("rejected_canceled");
  }, 60_000);

  it("cancels an official-SDK execution the protocol's way: its promise ends rejected_canceled and stays so", async () => {
    const log = join(dir, "official.log");
    await startWorker("../server/fixtures/official-worker.mjs", { LOG: log, TTL: "2000" }, "official");
    const id = `countdown-${randomUUID().slice(0, 8)}`;
    const created = await answer(
      fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          kind: "promise.create",
          head: { corrId: randomUUID(), version: PROTOCOL_VERSION },
          data: {
            id,
            timeoutAt: Date.now() + 120_000,
            param: { headers: {}, data: base64Json({ func: "countdown", args: [3, 60_000], version: 1 }) },
            tags: { [TAG.target]: "poll://any@official", [TAG.scope]: "global", [TAG.origin]: id, [TAG.branch]: id, [TAG.parent]: id },
          },
        }),
      }),
    );
    expect(created.status).toBe(200);
    // Its first step ran and it sleeps (suspended on the timer).
    await until(() => readLog(log).length === 1, 20_000, "the official workflow's first step");
    const ops = client();
    expect(await ops.cancel(id)).toMatchObject({ outcome: "cancelled" });
    expect(await state(ops, id)).toBe("rejected_canceled");
    const task = await server.send("task.get", { id });
    expect((task.body.data as { task: { state: string } }).task.state).toBe("fulfilled");
    expect(await ops.cancel(id)).toMatchObject({ outcome: "finished", state: "rejected_canceled" });
  }, 60_000);
});
