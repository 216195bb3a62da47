/** HttpTransport against a scripted HTTP server: retries, answers it must return, SSE framing, reconnects. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/messages.js";
import { PROTOCOL_VERSION, type Request } from "../../src/protocol/requests.js";
import { HttpTransport, ServerUnreachableError, UnexpectedAnswerError } from "../../src/transport/http.js";
import { eventually } from "./harness.js";

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

const servers: Server[] = [];
const transports: HttpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function scripted(handler: Handler): Promise<string> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => handler(request, response, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function transport(url: string, maxAttempts = 5) {
  const created = new HttpTransport({ url, retry: { maxAttempts, initialDelayMs: 5, maxDelayMs: 20 } });
  transports.push(created);
  return created;
}

const get: Request = { kind: "promise.get", head: { corrId: "", version: PROTOCOL_VERSION }, data: { id: "p" } };

/** Answers a protocol request as a server would, echoing kind and corrId. */
function reply(response: ServerResponse, body: string, status: number, data: unknown) {
  const req = JSON.parse(body) as { kind: string; head: { corrId: string; version: string } };
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ kind: req.kind, head: { corrId: req.head.corrId, status, version: req.head.version }, data }));
}

describe("send", () => {
  it("fills in a corrId, sends the token both ways, and retries 5xx until an answer", async () => {
    const seen: { auth?: string; headAuth?: string; corrId: string }[] = [];
    let calls = 0;
    const url = await scripted((request, response, body) => {
      const parsed = JSON.parse(body) as { head: { corrId: string; auth?: string } };
      seen.push({ auth: request.headers.authorization, headAuth: parsed.head.auth, corrId: parsed.head.corrId });
      if (++calls < 3) {
        response.writeHead(503).end("busy");
        return;
      }
      reply(response, body, 404, "Promise not found");
    });
    const client = new HttpTransport({ url, authToken: "tok", retry: { initialDelayMs: 5 } });
    transports.push(client);
    const answer = await client.send(get);
    expect(answer.head.status).toBe(404);
    expect(calls).toBe(3);
    expect(seen[0]).toEqual({ auth: "Bearer tok", headAuth: "tok", corrId: expect.stringMatching(/.+/) });
    expect(new Set(seen.map((s) => s.corrId)).size).toBe(1);
  });

  it("retries an answer that does not match the request", async () => {
    let calls = 0;
    const url = await scripted((_request, response, body) => {
      if (++calls === 1) {
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: "promise.get", head: { corrId: "someone-else", status: 200, version: "v" }, data: {} }));
        return;
      }
      reply(response, body, 200, { promise: { id: "p" } });
    });
    expect((await transport(url).send(get)).head.status).toBe(200);
    expect(calls).toBe(2);
  });

  it("throws ServerUnreachableError after the last attempt when nothing listens", async () => {
    const url = await scripted(() => {});
    servers[0]!.close();
    await expect(transport(url, 2).send(get)).rejects.toBeInstanceOf(ServerUnreachableError);
  });

  it("gives up on an attempt that gets no answer in requestTimeoutMs, and retries it", async () => {
    let calls = 0;
    const url = await scripted((_request, response, body) => {
      if (++calls < 3) return; // never answered
      reply(response, body, 404, "Promise not found");
    });
    const client = new HttpTransport({ url, requestTimeoutMs: 150, retry: { maxAttempts: 5, initialDelayMs: 5, maxDelayMs: 20 } });
    transports.push(client);
    const answer = await client.send(get);
    expect(answer.head.status).toBe(404);
    expect(calls).toBe(3);

    const silent = await scripted(() => {});
    const quiet = new HttpTransport({ url: silent, requestTimeoutMs: 100, retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20 } });
    transports.push(quiet);
    const failed = await quiet.send(get).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ServerUnreachableError);
    expect((failed as ServerUnreachableError).cause.message).toBe("no answer within 100 ms");
  });

  it("posts to the server root's path when it sits under a prefix", async () => {
    const paths: string[] = [];
    const url = await scripted((request, response, body) => {
      paths.push(request.url ?? "");
      reply(response, body, 404, "Promise not found");
    });
    const answer = await transport(`${url}/reprise/`).send(get);
    expect(answer.head.status).toBe(404);
    expect(paths).toEqual(["/reprise"]);
  });

  it("throws UnexpectedAnswerError for a 4xx that is not a protocol answer", async () => {
    const url = await scripted((_request, response) => response.writeHead(404, { "content-type": "text/html" }).end("<h1>nope</h1>"));
    await expect(transport(url).send(get)).rejects.toBeInstanceOf(UnexpectedAnswerError);
  });
});

describe("subscribe", () => {
  it("parses events split across chunks, CRLF line ends, comments and multi-line data", async () => {
    const first: Message = { kind: "execute", head: {}, data: { task: { id: "t1", version: 1 } } };
    const second: Message = { kind: "execute", head: {}, data: { task: { id: "t2", version: 2 } } };
    const url = await scripted((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(": hello\r\n\r\n");
      const json = JSON.stringify(second);
      const cut = json.indexOf(",") + 1; // between two JSON tokens, where a newline is whitespace
      const framed = `data: ${JSON.stringify(first)}\r\n\r\ndata: ${json.slice(0, cut)}\r\ndata: ${json.slice(cut)}\r\n\r\n`;
      // Dribble the stream out a few bytes at a time, splitting lines and "\r\n" pairs.
      let at = 0;
      const timer = setInterval(() => {
        const end = framed.indexOf("\r", at) + 1 || at + 7; // also cut right after every "\r"
        response.write(framed.slice(at, end));
        at = end;
        if (at >= framed.length) clearInterval(timer);
      }, 1);
    });
    const received: Message[] = [];
    await transport(url).subscribe("g", "p", (message) => received.push(message));
    await eventually(() => (received.length === 2 ? true : undefined), 2000, "two messages");
    // The second event's data was split over two data lines, joined with "\n": still valid JSON.
    expect(received).toEqual([first, second]);
  });

  it("reconnects when the server ends the stream, and stops when closed", async () => {
    let connections = 0;
    const url = await scripted((request, response) => {
      expect(request.url).toBe("/poll/my%20group/pid%2F1");
      connections++;
      response.writeHead(200, { "content-type": "text/event-stream" });
      const message: Message = { kind: "execute", head: {}, data: { task: { id: `t${connections}`, version: 1 } } };
      response.end(`data: ${JSON.stringify(message)}\n\n`);
    });
    const client = transport(url);
    const received: Message[] = [];
    await client.subscribe("my group", "pid/1", (message) => received.push(message));
    await eventually(() => (received.length >= 3 ? true : undefined), 3000, "three connections");
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 50)); // a connection already in flight may still land
    const after = connections;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toBe(after);
  });

  it("fails the subscription on a 4xx answer, and after the attempts when nothing listens", async () => {
    const refusing = await scripted((_request, response) => response.writeHead(401).end());
    await expect(transport(refusing).subscribe("g", "p", () => {})).rejects.toBeInstanceOf(UnexpectedAnswerError);
    const url = await scripted(() => {});
    servers[1]!.close();
    await expect(transport(url, 2).subscribe("g", "p", () => {})).rejects.toBeInstanceOf(ServerUnreachableError);
  });
});
