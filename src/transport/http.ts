/**
 * Transport to a Reprise (or Resonate) server over HTTP: protocol requests are `POST <url>`,
 * messages arrive on the Server-Sent Events stream `GET <url>/poll/<group>/<pid>`.
 *
 * Requests sent within one event-loop turn travel together as one `reprise.batch` POST, which a
 * Reprise server applies in one store transaction (a lone request goes as itself). A server that
 * does not know the batch kind is sent requests one by one from then on.
 *
 * Protocol requests are idempotent, so a network failure, a 5xx or a garbled answer is retried
 * (a whole batch at once) with backoff; any protocol answer, 4xx included, is returned as a
 * response, never thrown.
 */
import { randomUUID } from "node:crypto";
import type { Pool } from "undici";
import { BATCH_KIND, MAX_BATCH_REQUESTS } from "../protocol/batch.js";
import type { Message } from "../protocol/messages.js";
import { PROTOCOL_VERSION, STATUS, type Request, type Response } from "../protocol/requests.js";
import { Coalescer, type Entry } from "./coalescer.js";
import { Subscription } from "./event-stream.js";
import { RetryableError, ServerUnreachableError, UnexpectedAnswerError, backoff, describeFetchError, parseJson, sleep, type RetryOptions } from "./http-failures.js";
import type { Transport } from "./transport.js";

export { ServerUnreachableError, UnexpectedAnswerError, type RetryOptions };

/**
 * Most requests in one batch a worker sends (the server takes up to MAX_BATCH_REQUESTS). Past a
 * hundred or so, a bigger batch saves little, and a smaller one keeps each POST well inside the
 * request timeout even when the store applies items one by one.
 */
export const MAX_BATCH_ITEMS = Math.min(200, MAX_BATCH_REQUESTS);
/**
 * Most bytes of requests in one batch: half the server's default body limit (2 MiB), so a batch
 * always fits; a request larger than this goes alone, as it would without batching.
 */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Batches in flight at once (while some are, a batch that is not full waits for the next turn they free). */
export const MAX_BATCHES_IN_FLIGHT = 8;
/**
 * Answers to a batch that mean the server does not take the kind: 400 from a Resonate server (or
 * an older Reprise) that does not know it, 501 from one that says so. Requests go one by one then.
 */
const BATCH_UNSUPPORTED: ReadonlySet<number> = new Set([STATUS.badRequest, STATUS.notImplemented]);

export interface HttpTransportOptions {
  /** Server root, e.g. http://127.0.0.1:8001 */
  url: string;
  /** Sent as `Authorization: Bearer <token>` and as `head.auth`. */
  authToken?: string;
  /** Per-attempt timeout of a protocol request (no answer in this long: retried). Default 10 s; checked to within about a second. */
  requestTimeoutMs?: number;
  retry?: RetryOptions;
  /** A stream silent this long is presumed dead and reopened (server keepalives come every 15 s). Default 45 s. */
  streamIdleTimeoutMs?: number;
  /** Called for transient failures that are being retried. */
  onRetry?: (error: Error, attempt: number) => void;
  /** Send the requests of one event-loop turn as one `reprise.batch` POST. Default true. */
  batch?: boolean;
}

export class HttpTransport implements Transport {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  /** The headers of every protocol POST, built once: `post` runs for each request. */
  private readonly postHeaders: Record<string, string>;
  private readonly retry: Required<RetryOptions>;
  private readonly subscriptions = new Set<Subscription>();
  /**
   * Keep-alive connections to the server. undici's own request API, not fetch (whose WHATWG layer
   * doubled a loopback round trip) nor node:http (measured beside it on one-at-a-time POSTs of a
   * step's size: 170 µs a round trip and 130 µs of this process's CPU, against 115 and 72).
   */
  private pool: Promise<Pool> | undefined;
  /** The path requests are POSTed to: the server root's, which may sit under a prefix. */
  private readonly path: string;
  private readonly origin: string;
  /** Cleared for good when the server refuses the batch kind. */
  private batching: boolean;
  private readonly coalescer = new Coalescer<Outgoing, Response>({
    maxItems: MAX_BATCH_ITEMS,
    maxBytes: MAX_BATCH_BYTES,
    maxInFlight: MAX_BATCHES_IN_FLIGHT,
    sizeOf: (item) => item.json.length,
    // A task.create starts an execution; everything else serves executions already started.
    first: (item) => item.kind !== "task.create",
    send: (entries) => this.sendGroup(entries),
  });

  constructor(private readonly options: HttpTransportOptions) {
    this.url = options.url.replace(/\/+$/, "");
    const root = new URL(this.url);
    this.origin = root.origin;
    this.path = `${root.pathname}${root.search}` || "/";
    this.headers = options.authToken ? { authorization: `Bearer ${options.authToken}` } : {};
    this.postHeaders = { ...this.headers, "content-type": "application/json" };
    this.retry = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 5000, ...options.retry };
    this.batching = options.batch ?? true;
  }

  /** Not an async function: its frame would be kept for as long as the request is in flight. */
  send<R extends Request>(req: R): Promise<Response<R["kind"]>> {
    let item: Outgoing;
    try {
      item = this.outgoing(req);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return (this.batching ? this.coalescer.add(item) : this.sendOne(item)) as Promise<Response<R["kind"]>>;
  }

  private outgoing(req: Request): Outgoing {
    const request = req.head.corrId ? req : ({ ...req, head: { ...req.head, corrId: randomUUID() } } as Request);
    const { authToken } = this.options;
    const json = encode(request);
    // The item carries no token of ours: a batch carries it once, and a lone request carries it
    // itself. A head that already holds it (ProtocolClient puts it there) is the same bytes alone.
    const alone = authToken && request.head.auth !== authToken ? encode({ ...request, head: { ...request.head, auth: authToken } }) : json;
    return { kind: request.kind, corrId: request.head.corrId, json, alone };
  }

  async subscribe(group: string, pid: string, onMessage: (message: Message) => void): Promise<void> {
    const url = `${this.url}/poll/${encodeURIComponent(group)}/${encodeURIComponent(pid)}`;
    const subscription = new Subscription(url, this.headers, onMessage, this.retry, this.options);
    this.subscriptions.add(subscription);
    try {
      await subscription.connected;
    } catch (error) {
      this.subscriptions.delete(subscription);
      subscription.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.close();
    this.subscriptions.clear();
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await (await pool).destroy();
  }

  private async sendGroup(entries: readonly Entry<Outgoing, Response>[]): Promise<void> {
    if (entries.length > 1 && this.batching) {
      const responses = await this.sendBatch(entries.map((entry) => entry.item));
      if (responses) {
        entries.forEach((entry, index) => entry.resolve(responses[index]!));
        return;
      }
    }
    await Promise.all(entries.map((entry) => this.sendOne(entry.item).then((answer) => entry.resolve(answer), (error: unknown) => entry.reject(error as Error))));
  }

  /** One request as itself: the standard protocol, as every Resonate server speaks it. */
  private async sendOne(item: Outgoing): Promise<Response> {
    return this.withRetries(async () => {
      const answer = await this.post(item.alone);
      const text = answer.text;
      if (answer.status >= 500 || answer.status === 429) throw new RetryableError(`HTTP ${answer.status}: ${text.slice(0, 200)}`);
      const parsed = parseJson(text);
      if (!isResponseTo(parsed, item.kind, item.corrId)) {
        if (answer.status < 400) throw new RetryableError(`HTTP ${answer.status}: the answer does not match the request`);
        throw new UnexpectedAnswerError(`HTTP ${answer.status} from ${this.url}: ${text.slice(0, 200)}`, answer.status);
      }
      return parsed as Response;
    });
  }

  /**
   * Many requests in one `reprise.batch` POST: the answers in order, or undefined when the server
   * refused the batch as a whole (then the caller sends them one by one, and each gets the answer
   * it would have had without batching).
   */
  private async sendBatch(items: readonly Outgoing[]): Promise<Response[] | undefined> {
    const corrId = randomUUID();
    const head = { corrId, version: PROTOCOL_VERSION, ...(this.options.authToken ? { auth: this.options.authToken } : {}) };
    // The items were encoded once, when sent, and are spliced in: one copy, outside the JS heap.
    const parts: Buffer[] = [Buffer.from(`{"kind":${JSON.stringify(BATCH_KIND)},"head":${JSON.stringify(head)},"data":{"requests":[`)];
    for (const item of items) {
      if (parts.length > 1) parts.push(COMMA);
      parts.push(item.json);
    }
    parts.push(BATCH_END);
    const body = Buffer.concat(parts);
    const refusedWith = await this.withRetries(async () => {
      const answer = await this.post(body);
      if (answer.status === STATUS.ok) {
        const responses = batchAnswer(parseJson(answer.text), corrId, items);
        if (!responses) throw new RetryableError("HTTP 200: the answer does not match the batch");
        return responses;
      }
      if (BATCH_UNSUPPORTED.has(answer.status)) return answer.status;
      if (answer.status >= 500 || answer.status === 429) throw new RetryableError(`HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
      return answer.status; // 401, 413, a proxy's 404, ...: about this batch, not the kind
    });
    if (typeof refusedWith !== "number") return refusedWith;
    if (BATCH_UNSUPPORTED.has(refusedWith)) this.batching = false;
    return undefined;
  }

  private post(body: Buffer): Promise<{ status: number; text: string }> {
    this.pool ??= openPool(this.origin);
    return this.pool.then((pool) => post(pool, this.path, this.postHeaders, body, this.options.requestTimeoutMs ?? 10_000));
  }

  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof UnexpectedAnswerError) throw error;
        const cause = error instanceof Error ? error : new Error(String(error));
        if (tries >= this.retry.maxAttempts) throw new ServerUnreachableError(this.url, describeFetchError(cause));
        this.options.onRetry?.(cause, tries);
        await sleep(backoff(this.retry, tries));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * undici is loaded with the first request: an embedded process (which never sends one) would
 * otherwise spend about 120 ms loading it at start, a tenth of a restart's recovery of 10,000
 * executions.
 */
async function openPool(origin: string): Promise<Pool> {
  const { Pool } = await import("undici");
  return new Pool(origin, { connections: 64 });
}

/** One POST: resolves with the status and the whole body, rejects on network errors and when no answer comes in time. */
async function post(pool: Pool, path: string, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<{ status: number; text: string }> {
  try {
    const response = await pool.request({ path, method: "POST", headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    return { status: response.statusCode, text: await response.body.text() };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") throw new Error(`no answer within ${timeoutMs} ms`, { cause: error });
    throw error;
  }
}

/**
 * A request ready to go, encoded once, as bytes: they wait for the answer (a retry sends them
 * again) outside the JS heap, and only what matches the answer stays an object. A worker has
 * thousands of requests in flight; as strings, each survived a young-generation GC or two and was
 * copied by each, and the batch body was copied twice more (joined, then flattened to be sent).
 */
interface Outgoing {
  kind: string;
  corrId: string;
  /** The request as JSON, without a token (a batch carries it once). */
  json: Buffer;
  /** The request as sent alone: with the token, if there is one. */
  alone: Buffer;
}

const COMMA = Buffer.from(",");
const BATCH_END = Buffer.from("]}}");

function encode(request: Request): Buffer {
  return Buffer.from(JSON.stringify(request));
}

/** The answers of a 200 batch answer, if it is one and answers exactly these items, in order. */
function batchAnswer(value: unknown, corrId: string, items: readonly Outgoing[]): Response[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { kind, head, data } = value as { kind?: unknown; head?: { corrId?: unknown }; data?: { responses?: unknown } };
  const responses = data?.responses;
  if (kind !== BATCH_KIND || head?.corrId !== corrId || !Array.isArray(responses) || responses.length !== items.length) return undefined;
  const matches = items.every(({ kind, corrId }, index) => isResponseTo(responses[index], kind, corrId));
  return matches ? (responses as Response[]) : undefined;
}

function isResponseTo(value: unknown, kind: string, corrId: string): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { kind: answerKind, head } = value as { kind?: unknown; head?: { corrId?: unknown; status?: unknown } };
  return answerKind === kind && head?.corrId === corrId && typeof head.status === "number";
}
