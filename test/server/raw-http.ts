/** One HTTP request with exactly the headers given (fetch will not send a forged Host). */
import { request } from "node:http";

export interface RawReply {
  status: number;
  body: string;
}

export function rawRequest(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: options.method ?? "GET", path: options.path, headers: options.headers, setHost: !("host" in (options.headers ?? {})) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** JSON text of `[[[…]]]` nested `depth` levels, optionally wrapped as `{ "value": … }`. */
export function nestedArrays(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}
