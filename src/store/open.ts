/**
 * Opens a store from one string, as the CLI and the SDK take it:
 *   undefined                  → SQLite file ./reprise.db
 *   ":memory:" or "memory"     → in-process memory (gone when the process exits)
 *   postgres:// postgresql://  → PostgreSQL (`?schema=name` picks the schema, default public)
 *   anything else              → SQLite file at that path
 */
import { ProtocolStore, type ProtocolStoreOptions } from "./kernel/protocol-store.js";
import { checkRetention } from "../protocol/retention.js";
import { MemoryBackend } from "./memory/memory-backend.js";
import { openSqliteBackend, type SqliteBackendOptions } from "./sqlite/sqlite-backend.js";
import type { Backend } from "./backend.js";
import type { Durability } from "./durability.js";
import type { PostgresBackendOptions } from "./postgres/index.js";
import type { Store } from "./store.js";

export const DEFAULT_STORE_PATH = "./reprise.db";

export interface OpenStoreOptions extends ProtocolStoreOptions {
  /** What an acknowledged write survives (SQLite; default "power-loss"). Overrides `sqlite.durability`. */
  durability?: Durability;
  sqlite?: SqliteBackendOptions;
  postgres?: PostgresBackendOptions;
}

export async function openStore(spec: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  // Checked before anything is opened, so a bad option leaves no connection behind.
  if (options.retentionMs !== undefined) checkRetention("retentionMs", options.retentionMs);
  return new ProtocolStore(await openBackend(spec ?? DEFAULT_STORE_PATH, options), options);
}

async function openBackend(spec: string, options: OpenStoreOptions): Promise<Backend> {
  if (spec === ":memory:" || spec === "memory") return new MemoryBackend();
  if (/^postgres(ql)?:\/\//i.test(spec)) {
    // Loaded only when asked for, so SQLite users never load the pg driver.
    const { openPostgresBackend } = await import("./postgres/index.js");
    const { url, schema } = splitSchema(spec);
    return openPostgresBackend(url, { ...options.postgres, ...(schema ? { schema } : {}) });
  }
  const durability = options.durability ?? options.sqlite?.durability;
  return openSqliteBackend(spec, { ...options.sqlite, ...(durability ? { durability } : {}) });
}

/** `postgres://…/db?schema=name` picks the schema (one database can hold several Reprise stores). */
function splitSchema(spec: string): { url: string; schema?: string } {
  const url = new URL(spec);
  const schema = url.searchParams.get("schema") ?? undefined;
  url.searchParams.delete("schema");
  return { url: url.toString(), schema };
}
