/**
 * Talking to the server: JSON over fetch, with the bearer token from localStorage. A 401 asks
 * the app (through `onAuthRequired`) for a token once; saving it retries every view.
 */
const TOKEN_KEY = "reprise.token";

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type AuthListener = (refused: boolean) => void;
const authListeners = new Set<AuthListener>();
const tokenListeners = new Set<() => void>();

/** Called when the server answers 401; `refused` is true when a saved token was rejected. */
export function onAuthRequired(listener: AuthListener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

/** Called after a new token is saved, so views load again with it. */
export function onTokenSaved(listener: () => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

export function saveToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token.trim());
  tokenListeners.forEach((listener) => listener());
}

export function getJson<T>(path: string): Promise<T> {
  return request<T>(path, { method: "GET" });
}

export function postJson<T>(path: string, body: unknown): Promise<T> {
  return request<T>(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
}

/** `/api/executions?state=pending&func=` → skips empty values. */
export function withQuery(path: string, query: Record<string, string | string[] | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of [value ?? []].flat()) if (item !== "") params.append(key, item);
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function request<T>(path: string, init: RequestInit): Promise<T> {
  const token = localStorage.getItem(TOKEN_KEY);
  const headers = new Headers(init.headers);
  headers.set("accept", "application/json");
  if (token) headers.set("authorization", `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) {
    authListeners.forEach((listener) => listener(token !== null));
    throw new ApiError(401, "this server needs a token");
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, messageOf(body) ?? `${response.status} ${response.statusText}`);
  return body as T;
}

function messageOf(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof error?.message === "string" ? error.message : undefined;
}
