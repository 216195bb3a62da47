/**
 * Compensation is durable: a process killed with SIGKILL in the middle of a cancelled
 * execution's cleanup is replaced by another, which finishes the cleanup without repeating the
 * step already recorded, and the execution ends rejected_canceled.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Reprise } from "../../src/index.js";
import { kill, readLog, startChild, until, type Child } from "../e2e/child.js";

const FIXTURE = "../sdk/fixtures/cancel-crash.ts";
const children: Child[] = [];
const dirs: string[] = [];
const instances: Reprise[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
  await Promise.all(instances.splice(0).map((r) => r.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("a cancelled execution's compensation across a SIGKILL", () => {
  it("runs to the end in the next process: the recorded step once, the interrupted one again, then rejected_canceled", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-cancel-crash-"));
    dirs.push(dir);
    const env = { DB: join(dir, "reprise.db"), LOG: join(dir, "effects.log"), GO: join(dir, "go") };

    const first = startChild(FIXTURE, { ...env, MODE: "start" });
    children.push(first);
    // The canceller is a process of its own kind: another group on the same file.
    const canceller = new Reprise({ store: env.DB, group: "ops", logLevel: "error" });
    instances.push(canceller);
    await untilAsync(() => sleeping(canceller), 20_000, "the booking to sleep");
    expect(await canceller.cancel("booking-1", "trip cancelled")).toMatchObject({ outcome: "requested" });

    await until(() => readLog(env.LOG).includes("refund-begin"), 20_000, "the refund to begin");
    await kill(first);
    expect(readLog(env.LOG)).toEqual(["release-seat", "refund-begin"]);

    writeFileSync(env.GO, "");
    const second = startChild(FIXTURE, { ...env, MODE: "resume" });
    children.push(second);
    const code = await Promise.race([second.exited, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 30_000))]);
    expect(code, second.output()).toBe(0);
    expect(second.output()).toContain(`RESULT {"error":"CancelledError"}`);
    expect(readLog(env.LOG)).toEqual(["release-seat", "refund-begin", "refund-begin", "refund-done"]);
    expect((await canceller.promises.get("booking-1")).state).toBe("rejected_canceled");
    expect((await canceller.promises.get("booking-1.1")).state).toBe("rejected_canceled");
  }, 60_000);
});

async function sleeping(reprise: Reprise): Promise<boolean> {
  const sleep = await reprise.promises.get("booking-1.1").catch(() => undefined);
  return sleep?.state === "pending";
}

async function untilAsync(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
