import { hostname } from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeCall, rootTags } from "../../src/protocol/calls.js";
import { ADDRESS } from "../../src/protocol/tags.js";
import { Admission } from "../../src/sdk/admission.js";
import { action, ProtocolClient } from "../../src/sdk/client.js";
import { RECOVERY_PAGE, takeOverDeadHolders } from "../../src/sdk/recovery.js";
import { Sweeper } from "../../src/sdk/sweeper.js";
import { openStore } from "../../src/store/index.js";
import { EmbeddedTransport } from "../../src/transport/embedded.js";
import type { Transport } from "../../src/transport/transport.js";

const GROUP = "default";
/** An embedded pid of this OS process whose nonce no live instance owns: a dead holder. */
const DEAD = `embedded:${hostname()}:${process.pid}:dead0001`;
const transports: Transport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});

async function storeWithHeldTasks(count: number, pid: string): Promise<{ client: ProtocolClient; transport: EmbeddedTransport }> {
  const transport = new EmbeddedTransport(await openStore(":memory:"));
  transports.push(transport);
  const client = new ProtocolClient(transport);
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.expect("task.create", {
        pid,
        ttl: 3_600_000,
        action: action("promise.create", {
          id: `wf-${String(i).padStart(5, "0")}`,
          timeoutAt: Date.now() + 3_600_000,
          param: encodeCall("wf", []),
          tags: rootTags("wf", ADDRESS.anycast(GROUP), `wf-${i}`),
        }),
      }),
    ),
  );
  return { client, transport };
}

describe("recovery", () => {
  it("hands every task of a dead holder over to be taken, a page at a time", async () => {
    const count = RECOVERY_PAGE * 2 + 7;
    const { client } = await storeWithHeldTasks(count, DEAD);
    const handed: Array<[string, number, string]> = [];
    const { found, complete } = await takeOverDeadHolders(client, (taskId, version, holder) => handed.push([taskId, version, holder]));
    expect({ found, complete }).toEqual({ found: count, complete: true });
    expect(new Set(handed.map(([taskId]) => taskId)).size).toBe(count);
    expect(handed.every(([, version, holder]) => version === 1 && holder === DEAD)).toBe(true);
    // Taking over is one write: acquired by the new process, at the next version.
    const [taskId, version, holder] = handed[0]!;
    const taken = await client.expect("task.acquire", { id: taskId, version, pid: "me", ttl: 60_000, holder });
    expect(taken.task).toMatchObject({ state: "acquired", pid: "me", version: 2 });
  });

  it("hands nothing over before the walk has read its last page, so the take-overs reach the store together", async () => {
    const count = RECOVERY_PAGE * 2 + 7;
    const { client } = await storeWithHeldTasks(count, DEAD);
    const reads = vi.spyOn(client, "expect");
    const pagesRead = () => reads.mock.calls.filter(([kind]) => kind === "task.search").length;
    const handedAfterPages: number[] = [];
    await takeOverDeadHolders(client, () => handedAfterPages.push(pagesRead()));
    expect(handedAfterPages).toHaveLength(count);
    expect(new Set(handedAfterPages)).toEqual(new Set([3]));
  });

  it("hands over at most `max` tasks and says the walk is not complete", async () => {
    const count = RECOVERY_PAGE + 50;
    const { client } = await storeWithHeldTasks(count, DEAD);
    const handed: string[] = [];
    const first = await takeOverDeadHolders(client, (taskId) => handed.push(taskId), { max: 30 });
    expect(first).toEqual({ found: 30, complete: false });
    expect(handed).toHaveLength(30);
    const all = await takeOverDeadHolders(client, () => {}, { max: count });
    expect(all).toEqual({ found: count, complete: true });
  });

  it("leaves the tasks of live holders alone", async () => {
    const live = `embedded:${hostname()}:${process.pid}:11110000`;
    const { liveEmbeddedNonces } = await import("../../src/sdk/recovery.js");
    liveEmbeddedNonces.add("11110000");
    try {
      const { client } = await storeWithHeldTasks(3, live);
      expect((await takeOverDeadHolders(client, () => {})).found).toBe(0);
    } finally {
      liveEmbeddedNonces.delete("11110000");
    }
  });

  it("offers every task of a dead holder in the first sweep, and runs no more than the bound at once", async () => {
    const count = RECOVERY_PAGE + 100;
    const { client, transport } = await storeWithHeldTasks(count, DEAD);
    const taken = new Set<string>();
    const admission = new Admission(50, (taskId) => {
      taken.add(taskId);
      return new Promise<void>(() => {});
    });
    await transport.subscribe(GROUP, "me", (message) => {
      if (message.kind === "execute") admission.offer(message.data.task.id, message.data.task.version);
    });
    const takeOver = (taskId: string, version: number) => admission.offer(taskId, version);
    const sweeper = new Sweeper({ client, admission, embedded: true, maxQueued: 100_000, takeOver, onError: (error) => { throw error; } });
    await sweeper.sweep();
    sweeper.stop();
    expect(admission.runningCount).toBe(50);
    expect(taken.size).toBe(50);
    expect(admission.runningCount + admission.queuedCount).toBe(count);
  });

  it("stops queueing found work past its cap, and finds the rest in later sweeps", async () => {
    const count = RECOVERY_PAGE * 3;
    const { client, transport } = await storeWithHeldTasks(count, DEAD);
    const taken = new Set<string>();
    let mostQueued = 0;
    const holders = new Map<string, string>();
    // Each run takes its task over and ends at once, as an execution that suspends does.
    const admission = new Admission(10, async (taskId, version) => {
      const acquired = await client.send("task.acquire", { id: taskId, version, pid: "me", ttl: 3_600_000, holder: holders.get(taskId)! });
      if (acquired.head.status === 200) taken.add(taskId);
    });
    await transport.subscribe(GROUP, "me", (message) => {
      if (message.kind === "execute") admission.offer(message.data.task.id, message.data.task.version);
      mostQueued = Math.max(mostQueued, admission.queuedCount);
    });
    const takeOver = (taskId: string, version: number, holder: string) => {
      holders.set(taskId, holder);
      admission.offer(taskId, version);
      mostQueued = Math.max(mostQueued, admission.queuedCount);
    };
    const sweeper = new Sweeper({ client, admission, embedded: true, maxQueued: RECOVERY_PAGE, takeOver, onError: (error) => { throw error; } });
    let sweeps = 0;
    while (taken.size < count && sweeps < 10) {
      await sweeper.sweep();
      sweeps++;
      while (admission.queuedCount + admission.runningCount > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    sweeper.stop();
    expect(taken.size).toBe(count);
    expect(sweeps).toBeGreaterThan(1);
    expect(mostQueued).toBeLessThan(RECOVERY_PAGE * 2);
  });
});

describe("dead embedded holders", () => {
  it("counts a killed process its parent has not reaped yet (a zombie) as dead", async () => {
    const { spawn } = await import("node:child_process");
    const { isDeadEmbeddedHolder } = await import("../../src/sdk/recovery.js");
    // The shell becomes a process that never reaps: once killed, its child stays a zombie.
    const shell = spawn("sh", ["-c", "sleep 30 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
    const pid = await new Promise<number>((resolve) => shell.stdout!.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    const holder = `embedded:${hostname()}:${pid}:abcd0001`;
    try {
      expect(isDeadEmbeddedHolder(holder)).toBe(false);
      process.kill(pid, "SIGKILL");
      // The signal lands asynchronously: look until it has (bounded), then the holder is dead.
      for (let tries = 0; tries < 200 && !isDeadEmbeddedHolder(holder); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(isDeadEmbeddedHolder(holder)).toBe(true);
    } finally {
      shell.kill("SIGKILL");
    }
  });
});
