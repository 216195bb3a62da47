/** Names we splice into SQL text (schemas, channels). Values always travel as parameters instead. */
import { createHash } from "node:crypto";

/** Postgres truncates identifiers longer than this (NAMEDATALEN - 1 bytes). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Accepts plain lower-case identifiers only, so a schema name can be spliced into DDL and into
 * `search_path` without any quoting subtleties.
 */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema) || Buffer.byteLength(schema) > MAX_IDENTIFIER_BYTES) {
    throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`);
  }
  return schema;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * NOTIFY channels are database-wide, so each schema gets its own: two test schemas (or two
 * tenants) in one database must not hear each other's messages.
 */
export function channelFor(schema: string): string {
  const channel = schema === "public" ? "reprise_messages" : `reprise_messages_${schema}`;
  if (Buffer.byteLength(channel) <= MAX_IDENTIFIER_BYTES) return channel;
  return `reprise_messages_${createHash("sha256").update(schema).digest("hex").slice(0, 32)}`;
}
