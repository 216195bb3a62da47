#!/usr/bin/env node
/* global URL, process */
// The `reprise` command: runs the built CLI when there is one, else the TypeScript sources via tsx.
import { existsSync } from "node:fs";

const built = new URL("../dist/src/cli/main.js", import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(new URL("../src/cli/main.ts", import.meta.url).href);
}
process.exitCode = await cli.main(process.argv);
