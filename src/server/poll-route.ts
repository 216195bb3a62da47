/**
 * `GET /poll/:group/:pid`: a worker's Server-Sent Events stream. Each store message addressed to
 * the worker arrives as one `data:` event holding the JSON message; comments keep the stream alive
 * through proxies and let both ends notice a dead peer.
 */
import type { FastifyInstance } from "fastify";
import type { Message } from "../protocol/messages.js";
import type { WorkerConnection, Workers } from "./workers.js";

export interface PollRouteOptions {
  workers: Workers;
  keepaliveMs: number;
}

export function registerPollRoute(app: FastifyInstance, { workers, keepaliveMs }: PollRouteOptions): void {
  app.get<{ Params: { group: string; pid: string } }>("/poll/:group/:pid", (request, reply) => {
    const { group, pid } = request.params;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    raw.write(": connected\n\n");

    const connection: WorkerConnection = {
      group,
      pid,
      connectedAt: Date.now(),
      send: (message: Message) => raw.write(`data: ${JSON.stringify(message)}\n\n`),
      close: () => raw.end(),
    };
    const keepalive = setInterval(() => raw.write(": keepalive\n\n"), keepaliveMs);
    const remove = workers.add(connection);
    request.log.info({ group, pid }, "worker connected");

    raw.on("close", () => {
      clearInterval(keepalive);
      remove();
      request.log.info({ group, pid }, "worker disconnected");
    });
  });
}
