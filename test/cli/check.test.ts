/** `reprise check` against a SQLite file written by a real process with orders in flight. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reprise } from "./run-cli.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "reprise-check-"));
  file = join(dir, "orders.db");
  const output = execFileSync(process.execPath, ["--import", "tsx", fixture("start-orders.ts"), file, "5"], { encoding: "utf8", timeout: 60_000 });
  expect(output).toContain("STARTED 5");
}, 90_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("reprise check", () => {
  it("exits 0 when every in-flight execution replays cleanly under the new code", async () => {
    const result = await reprise(["check", "--store", file, "--module", fixture("orders-v2-compatible.ts")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/5 replayed in [\d.]+ s: 5 clean, 0 would diverge, 0 skipped/);
  });

  it("exits 4 and names each execution that would diverge, with the position and both calls", async () => {
    const result = await reprise(["check", "--store", file, "--module", fixture("orders-v2-swapped.ts")]);
    expect(result.code).toBe(4);
    expect(result.stdout).toContain("DIVERGES order-3 (order) at order-3.1: recorded step reserve, the new code calls step charge");
    expect(result.stdout).toMatch(/5 replayed .* 0 clean, 5 would diverge/);
  });

  it("answers in JSON with --json", async () => {
    const result = await reprise(["--json", "check", "--store", file, "--module", fixture("orders-v2-swapped.ts")]);
    const report = JSON.parse(result.stdout) as { diverged: Array<{ executionId: string }> };
    expect(report.diverged).toHaveLength(5);
  });

  it("exits 3 for a store that is not there, and 2 for a module without register", async () => {
    expect((await reprise(["check", "--store", join(dir, "missing.db"), "--module", fixture("orders-v1.ts")])).code).toBe(3);
    expect((await reprise(["check", "--store", file, "--module", fixture("orders-steps.ts")])).code).toBe(2);
  });
});
