export { openSqliteBackend, SQLITE_DEFAULTS, type SqliteBackendOptions } from "./sqlite-backend.js";
