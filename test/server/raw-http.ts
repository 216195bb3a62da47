/** HTTP clients that do what fetch will not: send a forged Host, or stop reading a stream. */
import { request } from "node:http";
import { connect, type Socket } from "node:net";

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

/**
 * A raw client of a worker stream that reads the response head and the first event, then never
 * reads again: from there the kernel's buffers fill, then the server's. `track` is handed the
 * socket as soon as it exists (to close it after the test).
 */
export async function stalledReader(port: number, path: string, track?: (socket: Socket) => void): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  track?.(socket);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    socket.on("error", reject);
    socket.on("data", function onData(chunk: Buffer) {
      seen += chunk.toString("latin1");
      if (!seen.includes(": connected")) return;
      socket.off("data", onData);
      socket.pause();
      resolve();
    });
  });
  return socket;
}
