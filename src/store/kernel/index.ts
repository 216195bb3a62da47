export { ProtocolStore, DEFAULT_REDELIVER_AFTER_MS, type ProtocolStoreOptions } from "./protocol-store.js";
