/** Picks the transport a Reprise instance uses: a server when given a url, else an embedded store. */
import type { Logger } from "../observability/logger.js";
import { InvalidArgumentError } from "../engine/errors.js";
import { openStore } from "../store/index.js";
import { isRetention, RETENTION_EXPECTED } from "../protocol/retention.js";
import { EmbeddedTransport } from "../transport/embedded.js";
import { HttpTransport } from "../transport/http.js";
import type { Limits } from "../protocol/limits.js";
import type { Durability } from "../store/durability.js";
import type { Store } from "../store/store.js";
import type { Transport } from "../transport/transport.js";

export async function openTransport(
  options: { store?: string | Store; url?: string; authToken?: string; durability?: Durability; limits?: Partial<Limits>; retention?: number },
  logger: Logger,
): Promise<Transport> {
  if (options.url !== undefined) {
    if (options.store !== undefined) throw new Error("Reprise: pass either `url` (a server) or `store` (embedded), not both");
    return new HttpTransport({ url: options.url, authToken: options.authToken });
  }
  // Work resumed by another process sharing the file is found by the worker's sweeps (reprise.ts).
  if ((options.durability !== undefined || options.limits !== undefined || options.retention !== undefined) && typeof options.store === "object") {
    throw new Error("Reprise: `durability`, `limits` and `retention` apply to a store Reprise opens; pass them to the Store you open instead");
  }
  if (options.retention !== undefined && !isRetention(options.retention)) {
    throw new InvalidArgumentError(`retention: expected ${RETENTION_EXPECTED}, got ${String(options.retention)}`);
  }
  const store =
    typeof options.store === "object"
      ? options.store
      : await openStore(options.store, { durability: options.durability, limits: options.limits, retentionMs: options.retention });
  return new EmbeddedTransport(store, { logger });
}
