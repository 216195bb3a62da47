/** After `npm run build`, the package's exports give users the SDK by name: `import { Reprise } from "reprise"`. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("the built package", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url)), "-p", "tsconfig.build.json"], { cwd: root, stdio: "pipe" });
  }, 120_000);

  it("exports Reprise and the public API under the name reprise", () => {
    const script = `
      const m = await import("reprise");
      const reprise = new m.Reprise({ store: ":memory:" });
      function* hello(ctx, name) { return yield* ctx.run(function greet(_ctx, n) { return "hello " + n; }, name); }
      reprise.register("hello", hello);
      console.log(JSON.stringify({ exports: Object.keys(m).sort(), result: await reprise.run("hello-1", "hello", "ada") }));
      await reprise.stop();`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    const { exports, result } = JSON.parse(output.trim().split("\n").at(-1)!) as { exports: string[]; result: string };
    expect(exports).toEqual(expect.arrayContaining(["Reprise", "PanicError", "exponential", "Options"]));
    expect(result).toBe("hello ada");
  }, 120_000);

  it("exports the testing tools under reprise/testing", () => {
    const script = `
      const { crashEveryStep } = await import("reprise/testing");
      function* twice(ctx) { const a = yield* ctx.run(function one() { return 1; }); return a + (yield* ctx.run(function two() { return 2; })); }
      const report = await crashEveryStep(twice, []);
      console.log(JSON.stringify({ steps: report.steps.length, runs: report.runs, problems: report.problems }));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(JSON.parse(output.trim().split("\n").at(-1)!)).toEqual({ steps: 2, runs: 4, problems: [] });
  }, 120_000);
});
