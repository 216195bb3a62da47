import { hostname } from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeCall, rootTags } from "../../src/protocol/calls.js";
import { ADDRESS } from "../../src/protocol/tags.js";
import { Admission } from "../../src/sdk/admission.js";
import type { Acquired } from "../../src/protocol/requests.js";
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

const ME = { pid: "me", ttl: 3_600_000 };

/** The tasks still acquired by `pid`, read as any client would. */
async function heldBy(client: ProtocolClient, pid: string): Promise<string[]> {
  const held: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.expect("task.search", { state: "acquired", limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const task of page.tasks) if (task.pid === pid) held.push(task.id);
    cursor = page.cursor;
  } while (cursor);
  return held;
}

/** A sweeper whose taken tasks run in `admission`, as Reprise wires it. */
function sweeperOver(client: ProtocolClient, admission: Admission, worker: (taken: Acquired) => Promise<void>): Sweeper {
  const runTakenOver = (taken: Acquired) => {
    if (!admission.reserve(taken.task.id)) throw new Error(`no room for ${taken.task.id}: the sweep took more than there was room for`);
    admission.runReserved(taken.task.id, taken.task.version, () => worker(taken));
  };
  return new Sweeper({ client, admission, embedded: true, ...ME, maxQueued: 100_000, runTakenOver, onError: (error) => { throw error; } });
}

describe("recovery", () => {
  it("takes every task of a dead holder over, a thousand a request, each acquired by this process with its history", async () => {
    const count = RECOVERY_PAGE * 2 + 7;
    const { client } = await storeWithHeldTasks(count, DEAD);
    const requests = vi.spyOn(client, "expect");
    const taken: Acquired[] = [];
    expect(await takeOverDeadHolders(client, (acquired) => taken.push(acquired), { ...ME, max: 100_000 })).toEqual({ taken: count, complete: true });
    expect(requests.mock.calls.filter(([kind]) => kind === "reprise.take_over")).toHaveLength(3);
    // Never the walk over every acquired task it replaces.
    expect(requests.mock.calls.filter(([kind]) => kind === "task.search")).toHaveLength(0);
    expect(new Set(taken.map(({ task }) => task.id)).size).toBe(count);
    expect(taken.every(({ task, promise, preload }) => task.state === "acquired" && task.pid === "me" && task.version === 2 && promise.id === task.id && preload.length === 0)).toBe(true);
    expect(await heldBy(client, DEAD)).toEqual([]);
    expect(await heldBy(client, "me")).toHaveLength(count);
  });

  it("hands nothing over before every task is taken, so the executions' next steps reach the store together", async () => {
    const count = RECOVERY_PAGE * 2 + 7;
    const { client } = await storeWithHeldTasks(count, DEAD);
    const requests = vi.spyOn(client, "expect");
    const takeOversBefore: number[] = [];
    await takeOverDeadHolders(client, () => takeOversBefore.push(requests.mock.calls.filter(([kind]) => kind === "reprise.take_over").length), { ...ME, max: 100_000 });
    expect(takeOversBefore).toHaveLength(count);
    expect(new Set(takeOversBefore)).toEqual(new Set([3]));
  });

  it("takes at most `max` tasks and says it is not complete; the next call takes the rest", async () => {
    const count = RECOVERY_PAGE + 50;
    const { client } = await storeWithHeldTasks(count, DEAD);
    expect(await takeOverDeadHolders(client, () => {}, { ...ME, max: 30 })).toEqual({ taken: 30, complete: false });
    expect(await heldBy(client, DEAD)).toHaveLength(count - 30);
    expect(await takeOverDeadHolders(client, () => {}, { ...ME, max: count })).toEqual({ taken: count - 30, complete: true });
    expect(await heldBy(client, DEAD)).toEqual([]);
  });

  it("leaves the tasks of live holders alone", async () => {
    const live = `embedded:${hostname()}:${process.pid}:11110000`;
    const { liveEmbeddedNonces } = await import("../../src/sdk/recovery.js");
    liveEmbeddedNonces.add("11110000");
    try {
      const { client } = await storeWithHeldTasks(3, live);
      expect(await takeOverDeadHolders(client, () => {}, { ...ME, max: 100 })).toEqual({ taken: 0, complete: true });
      expect(await heldBy(client, live)).toHaveLength(3);
    } finally {
      liveEmbeddedNonces.delete("11110000");
    }
  });

  it("takes over in the first sweep no more than there is room to run, and the rest as room frees", async () => {
    const count = RECOVERY_PAGE + 100;
    const { client } = await storeWithHeldTasks(count, DEAD);
    const ran = new Set<string>();
    const finish: (() => void)[] = [];
    const admission = new Admission(50, async () => {});
    const sweeper = sweeperOver(client, admission, (taken) => {
      ran.add(taken.task.id);
      return new Promise<void>((resolve) => finish.push(resolve));
    });
    await sweeper.sweep();
    expect(admission.runningCount).toBe(50);
    expect(ran.size).toBe(50);
    // The rest stay with the dead holder, not held here without room to run.
    expect(await heldBy(client, DEAD)).toHaveLength(count - 50);
    let sweeps = 1;
    while (ran.size < count && sweeps < 100) {
      for (const done of finish.splice(0)) done();
      await new Promise((resolve) => setImmediate(resolve));
      await sweeper.sweep();
      sweeps++;
      expect(admission.runningCount).toBeLessThanOrEqual(50);
    }
    sweeper.stop();
    expect(ran.size).toBe(count);
    expect(await heldBy(client, DEAD)).toEqual([]);
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
