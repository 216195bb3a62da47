/**
 * The README's first TypeScript sample is complete: pasted into a file it type-checks and runs.
 * It is written inside the repo (.tmp/, ignored by git) with `from "reprise"` mapped to the
 * sources, so it runs against this checkout without a build, as pack-install.test.ts runs the built package.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
mkdirSync(join(ROOT, ".tmp"), { recursive: true });
const dir = mkdtempSync(join(ROOT, ".tmp/readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function firstTypeScriptBlock(markdown: string): string {
  const match = /^```ts\n([\s\S]*?)^```$/m.exec(markdown);
  if (!match) throw new Error("README.md has no ```ts block");
  return match[1]!;
}

describe("the README's first sample", () => {
  const sample = firstTypeScriptBlock(readFileSync(join(ROOT, "README.md"), "utf8"));
  const file = join(dir, "checkout.ts");
  writeFileSync(file, sample.replaceAll('from "reprise"', 'from "../../src/index.js"'));

  it("imports from the package name and defines everything it uses", () => {
    expect(sample).toContain('from "reprise"');
    // A named step shows as its name in the call tree; docs/workflows.md advises against anonymous ones.
    expect(sample).not.toMatch(/ctx\.run\(\s*(function\s*\(|\()/);
  });

  it("type-checks under the project's strict settings", () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const flags = ["--noEmit", "--strict", "--skipLibCheck", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node"];
    execFileSync(process.execPath, [tsc, ...flags, file], { cwd: ROOT, encoding: "utf8" });
  });

  it("runs: the first run does every step, a rerun of the same id returns the stored result", () => {
    const run = () => execFileSync(process.execPath, ["--import", "tsx", "checkout.ts"], { cwd: dir, encoding: "utf8" });
    expect(run().trim().split("\n")).toEqual(["charging 4200 cents for order-1", "receipt for order-1 (charge-order-1)", "receipt-order-1"]);
    expect(run().trim().split("\n")).toEqual(["receipt-order-1"]);
  });
});
