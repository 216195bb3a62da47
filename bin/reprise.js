#!/usr/bin/env node
/* global URL, process */
// The `reprise` command. In a checkout (the TypeScript sources are here) it runs them through tsx,
// so it never runs a stale build; an installed package ships only dist/ and runs that.
import { existsSync } from "node:fs";

const sources = new URL("../src/cli/main.ts", import.meta.url);
const built = new URL("../dist/src/cli/main.js", import.meta.url);
let cli;
if (existsSync(sources)) {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(sources.href);
} else {
  cli = await import(built.href);
}
process.exitCode = await cli.main(process.argv);
