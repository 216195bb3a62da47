/**
 * Several processes share one SQLite file and race to create and settle the same promises with
 * different values and idempotency keys. Every promise is created once and settled once, and every
 * process reads the same final record.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { freshDatabasePath } from "./sqlite-support.js";

const RACER = fileURLToPath(new URL("./fixtures/sqlite-racer.ts", import.meta.url));
const IDS = 200;
const RACERS = ["racer-a", "racer-b", "racer-c"];

type Outcomes = Record<string, { create: number; settle: number }>;

class Racer {
  private readonly lines: AsyncIterator<string>;
  readonly stderr: string[] = [];

  constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
  }

  static start(name: string, path: string, firstId: number): Racer {
    const child = spawn(process.execPath, ["--import", "tsx", RACER, path, name, String(IDS), String(firstId)], { stdio: "pipe" });
    return new Racer(name, child);
  }

  async line(): Promise<string> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`${this.name} exited early: ${this.stderr.join("")}`);
    return value;
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

const started: Racer[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const racer of started.splice(0)) racer.kill();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("SQLite shared by several processes", () => {
  it("creates and settles each raced promise exactly once, and every process reads the same record", async () => {
    const { path, remove } = freshDatabasePath();
    cleanups.push(remove);
    // They also race to create the file and its schema.
    const racers = RACERS.map((name, r) => Racer.start(name, path, Math.floor((r * IDS) / RACERS.length)));
    started.push(...racers);

    for (const racer of racers) expect(await racer.line()).toBe("open");
    for (const racer of racers) racer.send("go");
    const outcomes = await Promise.all(racers.map(async (r) => JSON.parse(await r.line()) as Outcomes));
    for (const racer of racers) racer.send("read");
    const finals = await Promise.all(racers.map(async (r) => JSON.parse(await r.line()) as Record<string, PromiseRecord>));

    for (let i = 0; i < IDS; i++) {
      const id = `race-${i}`;
      const creators = RACERS.filter((_, r) => outcomes[r]![id]!.create === 200);
      const settlers = RACERS.filter((_, r) => outcomes[r]![id]!.settle === 200);
      expect(creators, id).toHaveLength(1);
      expect(settlers, id).toHaveLength(1);
      for (const outcome of outcomes) {
        expect([200, 409], id).toContain(outcome[id]!.create);
        expect([200, 409], id).toContain(outcome[id]!.settle);
      }
      const record = finals[0]![id]!;
      for (const other of finals.slice(1)) expect(other[id], id).toEqual(record);
      expect(record).toMatchObject({
        state: "resolved",
        param: { data: creators[0] },
        idempotencyKeyForCreate: `${creators[0]}-create`,
        value: { data: settlers[0] },
        idempotencyKeyForComplete: `${settlers[0]}-settle`,
      });
    }
  });
});
