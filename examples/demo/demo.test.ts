/** `npm start` keeps working: the demo kills its child, the restart skips recorded steps, and it exits 0. */
import { afterEach, describe, expect, it } from "vitest";
import { ExampleProcess, killAll } from "../../test/examples-helpers/example-process.js";

describe("the demo", () => {
  afterEach(killAll);

  it("narrates a kill -9, a replay that skips the recorded steps, and exits 0 by itself", async () => {
    const demo = ExampleProcess.start("examples/demo/main.ts");
    const exit = await demo.waitForExit(30_000);
    const text = demo.lines.map((line) => line.text).join("\n");
    expect(exit.code, demo.transcript()).toBe(0);
    expect(text).toMatch(/💥 kill -9 \d+/);
    // Run 1 shows every step it ran, step 1 included, before the kill.
    const firstRun = text.slice(text.indexOf("▶ Run 1"), text.indexOf("💥"));
    expect(firstRun).toMatch(/✓ ran {6}step 1 .* → \S+/);
    expect(firstRun).toMatch(/✓ ran {6}step 2 .* → "created"/);
    expect(firstRun.indexOf("step 1")).toBeLessThan(firstRun.indexOf("step 2"));
    expect(text).toContain("↺ skipped  step 1");
    expect(text).toContain("↺ skipped  step 2");
    expect(text).toMatch(/✓ ran {6}step 3 .* → "created"/);
    expect(text).toContain("no step ran: the execution had finished");
    expect(text).toMatch(/System of Record: {4}account \S+ exists/);
  });
});
