/**
 * The way a user gets Reprise today: `npm pack` in a checkout, then `npm install <tarball>` in
 * their own app. This packs a copy of the checkout (so the build never races the tests that use
 * this checkout's dist/ or dashboard build), installs the tarball into an empty app, and runs a
 * workflow there with plain `node`, importing "reprise" by name.
 *
 * The install must not need the network: the app gets a lockfile made of this repo's runtime
 * entries (so `npm ci --offline` finds every tarball in the npm cache that installing this repo
 * filled), and `--ignore-scripts` skips better-sqlite3's native build (minutes from source where
 * no prebuilt binary can be downloaded); its binary is copied from this repo's install instead.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

const work = mkdtempSync(join(tmpdir(), "reprise-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", ["--no-audit", "--no-fund", "--no-update-notifier", ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The checkout's files (tracked, and new ones not ignored), without node_modules or any build output. */
function copyCheckout(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0");
  // A worktree's node_modules may be a symlink, which `node_modules/` in .gitignore does not match.
  for (const file of files.filter((path) => path && path !== "node_modules")) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    try {
      cpSync(join(ROOT, file), join(to, file));
    } catch {
      // A file deleted in the work tree but not yet in the index is not part of the package.
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(to, "node_modules"), "dir");
}

/** An app whose lockfile pins the tarball and, for its dependencies, this repo's locked runtime packages. */
function writeApp(app: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; license: string; dependencies: Record<string, string>; engines: Record<string, string> };
  const runtime = Object.entries(lock.packages).filter(([path, entry]) => path.startsWith("node_modules/") && !entry.dev && !entry.devOptional);
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash("sha512").update(readFileSync(join(app, tarball))).digest("base64")}`;
  const appLock = {
    name: "my-app",
    version: "1.0.0",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "my-app", version: "1.0.0", dependencies: { reprise: spec } },
      "node_modules/reprise": {
        version: pkg.version,
        resolved: spec,
        integrity,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: { reprise: "bin/reprise.js" },
        engines: pkg.engines,
      },
      ...Object.fromEntries(runtime),
    },
  };
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "my-app", version: "1.0.0", private: true, type: "module", dependencies: { reprise: spec } }, null, 2));
  writeFileSync(join(app, "package-lock.json"), JSON.stringify(appLock, null, 2));
}

const WORKFLOW = `
import { Reprise } from "reprise";
import * as api from "reprise";

function greet(_ctx, name) { return "hello " + name; }
function* hello(ctx, name) {
  const greeting = yield* ctx.run(greet, name);
  yield* ctx.sleep(10);
  return greeting;
}

const reprise = new Reprise({ store: "./app.db" });
reprise.register("hello", hello);
try {
  const result = await reprise.run("hello-1", hello, "ada");
  console.log(JSON.stringify({ exports: Object.keys(api).sort(), result }));
} finally {
  await reprise.stop();
}
`;

describe("the packed library, installed into an empty app", () => {
  it("installs offline and runs a durable workflow with plain node", () => {
    const checkout = join(work, "checkout");
    copyCheckout(checkout);
    const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", work], checkout)) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(["bin/reprise.js", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/dashboard/ui/dist/index.html", "LICENSE"]));
    expect(files.filter((file) => file.includes(".test."))).toEqual([]);

    const app = join(work, "app");
    mkdirSync(app);
    cpSync(join(work, packed!.filename), join(app, packed!.filename));
    writeApp(app, packed!.filename);
    npm(["ci", "--offline", "--ignore-scripts"], app);
    const sqlite = dirname(createRequire(join(ROOT, "package.json")).resolve("better-sqlite3/package.json"));
    mkdirSync(join(app, "node_modules/better-sqlite3/build/Release"), { recursive: true });
    cpSync(join(sqlite, "build/Release/better_sqlite3.node"), join(app, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"));

    writeFileSync(join(app, "main.js"), WORKFLOW);
    const output = execFileSync(process.execPath, ["main.js"], { cwd: app, encoding: "utf8" });
    const { exports, result } = JSON.parse(output.trim().split("\n").at(-1)!) as { exports: string[]; result: string };
    expect(result).toBe("hello ada");
    expect(exports).toEqual(expect.arrayContaining(["Reprise", "PanicError", "exponential", "Options"]));

    // The testing tools, under their subpath.
    const testing = `
      import { crashEveryStep } from "reprise/testing";
      function* twice(ctx) { const a = yield* ctx.run(function one() { return 1; }); return a + (yield* ctx.run(function two() { return 2; })); }
      const report = await crashEveryStep(twice, []);
      console.log(JSON.stringify({ steps: report.steps.length, runs: report.runs, problems: report.problems }));`;
    writeFileSync(join(app, "testing.mjs"), testing);
    const tested = execFileSync(process.execPath, ["testing.mjs"], { cwd: app, encoding: "utf8" });
    expect(JSON.parse(tested.trim().split("\n").at(-1)!)).toEqual({ steps: 2, runs: 4, problems: [] });

    // The installed CLI runs from dist/ (the package ships no sources and no tsx).
    const help = execFileSync(process.execPath, ["node_modules/reprise/bin/reprise.js", "--help"], { cwd: app, encoding: "utf8" });
    expect(help).toContain("Usage: reprise");
  }, 150_000);
});
