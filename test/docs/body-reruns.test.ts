/** docs/workflows.md says the workflow body runs again after every suspension; this holds it to that. */
import { afterEach, describe, expect, it } from "vitest";
import { Reprise, type Context } from "../../src/index.js";

let reprise: Reprise | undefined;
afterEach(async () => reprise?.stop());

describe("the workflow body after a suspension", () => {
  it("runs again from the top: code between yield*s repeats, recorded steps do not", async () => {
    const lines: string[] = [];
    const step = (_ctx: Context) => {
      lines.push("step");
      return 1;
    };
    function* wf(ctx: Context): Generator<unknown, string, unknown> {
      lines.push("body: before the step");
      yield* ctx.run(step);
      yield* ctx.sleep(50);
      lines.push("body: after the sleep");
      return "done";
    }
    reprise = new Reprise({ store: ":memory:", logLevel: "silent" });
    reprise.register("wf", wf);
    expect(await reprise.run("rerun-1", wf)).toBe("done");
    expect(lines).toEqual(["body: before the step", "step", "body: before the step", "body: after the sleep"]);
  });
});
