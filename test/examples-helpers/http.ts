/** JSON over HTTP to an example's server, for tests. */
export interface JsonReply<T = unknown> {
  status: number;
  body: T;
}

export async function postJson<T = unknown>(url: string, body: unknown = {}): Promise<JsonReply<T>> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T };
}

export async function getJson<T = unknown>(url: string): Promise<JsonReply<T>> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** The base URL of a child that printed `LISTENING <port>`. */
export function baseUrl(listeningLine: string): string {
  return `http://127.0.0.1:${listeningLine.split(" ")[1]}`;
}
