/**
 * `GET /poll/:group/:pid`: a worker's Server-Sent Events stream. Each store message addressed to
 * the worker arrives as one `data:` event holding the JSON message; comments keep the stream alive
 * through proxies and let both ends notice a dead peer.
 *
 * Memory is bounded per stream and in streams: what the socket has not taken stays in this
 * process, so a stream whose backlog passes its buffer bound is closed (a worker that never reads
 * would otherwise hold every message sent to it). Nothing is lost by closing: the store keeps every
 * task and re-delivers what no worker acts on, and a live worker reconnects.
 */
import type { FastifyInstance } from "fastify";
import { bodyLimitFor, isPrintable, isValidId, MAX_ID_LENGTH, resolveLimits, type Limits } from "../protocol/limits.js";
import type { Message } from "../protocol/messages.js";
import type { WorkerConnection, Workers } from "./workers.js";

/** Most worker streams open at once on one server; more are refused with 503. */
export const MAX_WORKER_STREAMS = 1000;

/**
 * The backlog a stream may reach before it is closed as stalled: one largest message (two values at
 * the limit plus the envelope, the same figure as the body limit). A write is taken while the
 * backlog is under the bound, so a stream holds at most the bound plus one message.
 */
export function streamBufferFor(limits: Limits): number {
  return bodyLimitFor(limits);
}

export interface PollRouteOptions {
  workers: Workers;
  keepaliveMs: number;
  /** Sizes the default stream buffer; default: the default limits. */
  limits?: Limits;
  /** Backlog in bytes past which a stream is closed as stalled; default streamBufferFor(limits). */
  maxBufferedBytes?: number;
  /** Default MAX_WORKER_STREAMS. */
  maxStreams?: number;
}

const SEGMENT_RULE = `1-${MAX_ID_LENGTH} characters without whitespace, control characters or lone surrogates`;

export function registerPollRoute(app: FastifyInstance, options: PollRouteOptions): void {
  const { workers, keepaliveMs } = options;
  const maxBufferedBytes = options.maxBufferedBytes ?? streamBufferFor(options.limits ?? resolveLimits());
  const maxStreams = options.maxStreams ?? MAX_WORKER_STREAMS;
  let open = 0;

  app.get<{ Params: { group: string; pid: string } }>("/poll/:group/:pid", (request, reply) => {
    const { group, pid } = request.params;
    const refused = refuseSegment("group", group, true) ?? refuseSegment("pid", pid, false);
    if (refused) return reply.code(400).send({ error: refused });
    if (open >= maxStreams) {
      const message = `this server has its ${maxStreams} worker streams open; retry later or on another server`;
      return reply.code(503).header("retry-after", "5").send({ error: { message } });
    }

    open++;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });

    // writableLength counts what the response and its socket hold that the peer has not taken.
    const write = (chunk: string) => {
      if (raw.destroyed) return;
      if (raw.writableLength >= maxBufferedBytes) {
        request.log.warn({ group, pid, buffered: raw.writableLength, maxBufferedBytes }, "worker stream stalled: closed");
        raw.destroy();
        return;
      }
      raw.write(chunk);
    };
    write(": connected\n\n");

    const connection: WorkerConnection = {
      group,
      pid,
      connectedAt: Date.now(),
      send: (message: Message) => write(`data: ${JSON.stringify(message)}\n\n`),
      close: () => raw.end(),
    };
    const keepalive = setInterval(() => write(": keepalive\n\n"), keepaliveMs);
    const remove = workers.add(connection);
    request.log.info({ group, pid }, "worker connected");

    raw.on("close", () => {
      open--;
      clearInterval(keepalive);
      remove();
      request.log.info({ group, pid }, "worker disconnected");
    });
  });
}

/**
 * The id rules, and printable: a group and pid end up in addresses (`poll://uni@group/pid`), which
 * hold no whitespace, and in log lines. A group cannot hold '/', which would split the address.
 */
function refuseSegment(field: "group" | "pid", value: string, isGroup: boolean) {
  if (isValidId(value) && isPrintable(value) && !(isGroup && value.includes("/"))) return undefined;
  const expected = isGroup ? `${SEGMENT_RULE}, and no '/'` : SEGMENT_RULE;
  return { field, expected, message: `${field}: expected ${expected}, got ${JSON.stringify(value.slice(0, 64))}` };
}
