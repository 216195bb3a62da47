/** Structured logs: one JSON object per line on stderr, quiet by default, with execution and step ids at debug. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kill, startChild, type Child } from "../e2e/child.js";

const children: Child[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function runPipeline(logLevel?: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-logs-"));
  dirs.push(dir);
  const env: Record<string, string> = { DB: join(dir, "r.db"), LOG: join(dir, "effects.log"), WORKFLOW: "pipeline", ID: "logged-1", STEPS: "2", STEP_MS: "1" };
  if (logLevel) env.REPRISE_LOG_LEVEL = logLevel;
  const child = startChild("./fixtures/crash-workflows.ts", env);
  children.push(child);
  expect(await child.exited).toBe(0);
  return child.output();
}

describe("logs", () => {
  it("say nothing by default", async () => {
    const output = await runPipeline();
    expect(output.split("\n").filter((line) => line.startsWith("{"))).toEqual([]);
  });

  it("at debug, give one JSON object per line with the execution id and each step's id", async () => {
    const lines = (await runPipeline("debug")).split("\n").filter((line) => line.startsWith("{"));
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const steps = records.filter((r) => r.msg === "call finished");
    expect(steps.map((r) => [r.executionId, r.stepId, r.func])).toEqual([
      ["logged-1", "logged-1.1", "effect"],
      ["logged-1", "logged-1.2", "effect"],
    ]);
    expect(records.some((r) => r.msg === "run finished" && r.executionId === "logged-1")).toBe(true);
  });
});
