/** `reprise purge` on a SQLite file, and `reprise serve --retention` deleting a finished execution by itself. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootTags } from "../../src/protocol/calls.js";
import { TAG } from "../../src/protocol/tags.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { reprise, serve } from "./run-cli.js";

const DAY = 24 * 60 * 60 * 1000;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "reprise-purge-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An execution `id` with one recorded step, finished at `at` (or left running when `at` is undefined). */
async function execution(store: Store, id: string, at: number | undefined, tags: Record<string, string> = {}): Promise<void> {
  const start = at ?? Date.now();
  const head = { corrId: id, version: "test" };
  const create = (promiseId: string, promiseTags: Record<string, string>) => ({
    kind: "promise.create" as const,
    head,
    data: { id: promiseId, timeoutAt: start + 30 * DAY, param: {}, tags: promiseTags },
  });
  await store.apply({ kind: "task.create", head, data: { pid: "p", ttl: 30 * DAY, action: create(id, { ...rootTags("job", "poll://any@default", id), ...tags }) } }, start);
  const step = create(`${id}.1`, { [TAG.kind]: "step" });
  await store.apply({ kind: "task.fence", head, data: { id, version: 1, action: { ...step, data: { ...step.data, result: { state: "resolved", value: {} } } } } }, start);
  if (at === undefined) return;
  await store.apply({ kind: "task.fulfill", head, data: { id, version: 1, action: { kind: "promise.settle", head, data: { id, state: "resolved", value: {} } } } }, at);
}

async function ids(file: string): Promise<string[]> {
  const store = await openStore(file);
  try {
    const response = await store.apply({ kind: "promise.search", head: { corrId: "s", version: "test" }, data: { id: "*", limit: 100 } });
    return (response.data as { promises: { id: string }[] }).promises.map((p) => p.id);
  } finally {
    await store.close();
  }
}

describe("reprise purge", () => {
  it("deletes executions that finished longer ago than --older-than, whatever their retention, and keeps the rest", async () => {
    const file = join(dir, "purge.db");
    const store = await openStore(file);
    const now = Date.now();
    await execution(store, "old", now - 3 * DAY);
    await execution(store, "old-kept-for-ever", now - 3 * DAY, { [TAG.retention]: "0" });
    await execution(store, "recent", now - DAY / 2);
    await execution(store, "running", undefined);
    await store.close();

    const result = await reprise(["purge", "--older-than", "1d", "--store", file]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^deleted 2 execution\(s\), 4 promise\(s\) in all, that finished before \d{4}-/);
    expect(await ids(file)).toEqual(["recent", "recent.1", "running", "running.1"]);

    const json = await reprise(["--json", "purge", "--older-than", "0", "--store", file]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ executions: 1, promises: 2, kept: 0 });
    expect(await ids(file)).toEqual(["running", "running.1"]);
  });

  it("refuses a bad duration (exit 2) and a store that does not exist (exit 3), changing nothing", async () => {
    const bad = await reprise(["purge", "--older-than", "7 days", "--store", join(dir, "purge.db")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than expects a duration such as 30s, 90m, 12h, 7d, 2w or 1h30m (or 0), got "7 days"');
    const missing = await reprise(["purge", "--older-than", "1d", "--store", join(dir, "missing.db")]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("no such SQLite file");
    expect((await reprise(["purge", "--store", join(dir, "purge.db")])).code).toBe(2);
  });
});

describe("reprise serve --retention", () => {
  it("deletes a finished execution by itself once its retention has passed", async () => {
    const file = join(dir, "served.db");
    const server = await serve(["--store", file, "--retention", "1s", "--purge-interval", "200ms"]);
    try {
      expect((await reprise(["--server", server.url, "invoke", "job-1", "--func", "job"])).code).toBe(0);
      // Resolving it proves it was there (a missing promise exits 1); a CLI call under load can take
      // longer than the retention, so it may already be gone by the next one.
      const resolved = await reprise(["--server", server.url, "promises", "resolve", "job-1", "--value", "1"]);
      expect(resolved.code).toBe(0);
      expect(resolved.stdout).toContain("resolved");
      // Bounded wait: 1 s of retention, then a pass at most 200 ms later.
      let gone = false;
      for (let attempt = 0; attempt < 40 && !gone; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        gone = (await reprise(["--server", server.url, "get", "job-1"])).code === 1;
      }
      expect(gone).toBe(true);
    } finally {
      await server.kill();
    }
  }, 30_000);

  it("refuses a retention that is not a duration (exit 2)", async () => {
    const result = await reprise(["serve", "--port", "0", "--store", ":memory:", "--retention", "forever"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--retention expects a duration");
  });
});
