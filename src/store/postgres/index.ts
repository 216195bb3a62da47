export { openPostgresBackend, type PostgresBackendOptions } from "./backend.js";
export { ConcurrentInsertError } from "./retry.js";
