export { openStore, DEFAULT_STORE_PATH, type OpenStoreOptions } from "./open.js";
export { ProtocolStore, DEFAULT_REDELIVER_AFTER_MS, type ProtocolStoreOptions } from "./kernel/protocol-store.js";
export { MemoryBackend } from "./memory/memory-backend.js";
export { openSqliteBackend, SQLITE_DEFAULTS, type SqliteBackendOptions } from "./sqlite/sqlite-backend.js";
export { DURABILITIES, DEFAULT_DURABILITY, type Durability } from "./durability.js";
export type { Store } from "./store.js";
export type { Backend, Tx, PromiseQuery, TaskQuery, ScheduleQuery } from "./backend.js";
