/** What every command needs from the global options: a client for the server and an output. */
import type { Command } from "commander";
import { Client } from "./client.js";
import { consoleOutput, type Output } from "./output.js";

export interface GlobalOptions {
  server: string;
  authToken?: string;
  json?: boolean;
}

export const DEFAULT_SERVER = "http://127.0.0.1:8001";

export interface CommandContext {
  client: Client;
  out: Output;
  globals: GlobalOptions;
}

export function contextOf(command: Command): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return {
    client: new Client({ server: globals.server, authToken: globals.authToken }),
    out: consoleOutput(globals.json === true),
    globals,
  };
}
