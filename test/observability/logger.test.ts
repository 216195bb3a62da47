/** The SDK's logger loads pino only for the first line it writes, and writes what pino would. */
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, type LogLevel } from "../../src/observability/logger.js";
import { kill, startChild, type Child } from "../e2e/child.js";

const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
});

describe("createLogger", () => {
  it("loads pino at the first line at its level, not before, and writes that line as pino does", async () => {
    const child = startChild("../observability/fixtures/lazy-logger.ts", {});
    children.push(child);
    expect(await child.exited).toBe(0);
    const lines = child.output().trim().split("\n");
    const pinoLine = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === "at the level");
    expect(pinoLine).toMatchObject({ level: 40, pid: "p-1", step: 2, msg: "at the level" });
    expect(lines.some((line) => line.includes("below the level"))).toBe(false);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ before: false, after: true, debugEnabled: false, warnEnabled: true });
  });

  it("says which levels are enabled, silent enabling none", () => {
    const debug = createLogger("debug");
    expect(["trace", "debug", "info", "fatal"].map((level) => debug.isLevelEnabled(level))).toEqual([false, true, true, true]);
    expect(createLogger("silent").isLevelEnabled("fatal")).toBe(false);
  });

  it("refuses a level pino does not know, as pino does", () => {
    expect(() => createLogger("loud" as LogLevel)).toThrow(/level:loud must be included/);
  });
});
