/**
 * Builds the dashboard page (as `npm run build:dashboard` does) when dist/ is missing or older
 * than any UI source, so the browser test never runs against a stale page.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const UI = join(REPO, "src/dashboard/ui");
const BUILT_PAGE = join(UI, "dist/index.html");
/** The UI also compiles shared modules into its bundle: the API's types, and what it imports of tree/ and protocol/. */
const SHARED = [join(REPO, "src/dashboard/api-types.ts")];
const SHARED_DIRS = ["src/tree", "src/protocol"].map((path) => join(REPO, path));

export function ensureUiBuilt(): void {
  if (existsSync(BUILT_PAGE) && newestSource() <= statSync(BUILT_PAGE).mtimeMs) return;
  execFileSync(process.execPath, [join(REPO, "node_modules/vite/bin/vite.js"), "build", "--config", join(UI, "vite.config.ts")], {
    cwd: REPO,
    stdio: "pipe",
  });
}

function newestSource(): number {
  const files = [...walk(join(UI, "src")), join(UI, "index.html"), join(UI, "vite.config.ts"), ...SHARED, ...SHARED_DIRS.flatMap((dir) => [...walk(dir)])];
  return Math.max(...files.map((file) => statSync(file).mtimeMs));
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}
