/**
 * What an acknowledged write survives. The names say what each choice trades, because the
 * SQLite words for it (synchronous=FULL / NORMAL) do not:
 *   - "power-loss" (default): every commit is fsynced before it is acknowledged, so an
 *     acknowledged step survives the machine losing power.
 *   - "process-crash": commits reach the OS but are fsynced only at checkpoints; an acknowledged
 *     step survives the process crashing, but the last commits before a power loss or an OS crash
 *     may be lost (the database stays consistent). Faster where an fsync is slow.
 * Applies to the embedded SQLite store; PostgreSQL follows its own server's synchronous_commit.
 */
export type Durability = "power-loss" | "process-crash";

export const DURABILITIES: readonly Durability[] = ["power-loss", "process-crash"];

export const DEFAULT_DURABILITY: Durability = "power-loss";

/** The SQLite `synchronous` setting that gives `durability` in WAL mode. */
export function sqliteSynchronous(durability: Durability): "FULL" | "NORMAL" {
  if (durability === "power-loss") return "FULL";
  if (durability === "process-crash") return "NORMAL";
  throw new Error(`durability: expected one of ${DURABILITIES.join(", ")}, got ${JSON.stringify(durability)}`);
}
