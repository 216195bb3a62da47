/**
 * The one place a store spec (or any URL) is made safe to show: banners, logs, error messages,
 * the dashboard. A `postgres://user:secret@host/db` URL carries its password, and a banner or a
 * log line is read (and pasted into issues) by people who must not learn it.
 */

/** Query parameters libpq and node-postgres read secrets from. */
const SECRET_PARAMS = ["password", "sslpassword", "sslkey"];
const MASK = "***";

/**
 * `postgres://app:secret@db:5432/reprise?sslmode=require` → `postgres://app:***@db:5432/reprise?sslmode=require`.
 * Anything that is not a URL with a scheme (a SQLite path, `:memory:`) comes back unchanged.
 */
export function redactUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not parseable, but it may still hold `user:password@`: mask what sits between ':' and '@'.
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@]*@/i, `$1:${MASK}@`);
  }
  const secretParams = SECRET_PARAMS.filter((name) => url.searchParams.has(name));
  // Untouched text comes back as given (URL would normalise it, e.g. add a trailing "/").
  if (!url.password && secretParams.length === 0) return text;
  if (url.password) url.password = MASK;
  for (const name of secretParams) url.searchParams.set(name, MASK);
  // URL re-encodes the mask ("%2A%2A%2A"); show it as typed.
  return url.toString().replaceAll("%2A%2A%2A", MASK);
}

/** Replaces every occurrence of `url` in `message` with its redacted form (for error messages). */
export function redactIn(message: string, url: string | undefined): string {
  if (url === undefined) return message;
  const redacted = redactUrl(url);
  return redacted === url ? message : message.replaceAll(url, redacted);
}
