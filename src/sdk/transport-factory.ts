/** Picks the transport a Reprise instance uses: a server when given a url, else an embedded store. */
import type { Logger } from "pino";
import { openStore } from "../store/index.js";
import { EmbeddedTransport } from "../transport/embedded.js";
import { HttpTransport } from "../transport/http.js";
import type { Transport } from "../transport/transport.js";

export const EMBEDDED_REDELIVER_AFTER_MS = 1000;

export async function openTransport(
  options: { store?: string | import("../store/store.js").Store; url?: string; authToken?: string },
  logger: Logger,
): Promise<Transport> {
  if (options.url !== undefined) {
    if (options.store !== undefined) throw new Error("Reprise: pass either `url` (a server) or `store` (embedded), not both");
    return new HttpTransport({ url: options.url, authToken: options.authToken });
  }
  // Several processes may share one SQLite file, and a store's messages reach only the process
  // that wrote them: re-delivering unclaimed tasks every second lets another process's signal
  // (a resolved promise that resumes a workflow here) arrive within about a second.
  const store = typeof options.store === "object" ? options.store : await openStore(options.store, { redeliverAfterMs: EMBEDDED_REDELIVER_AFTER_MS });
  return new EmbeddedTransport(store, { logger });
}
