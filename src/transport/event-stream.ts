/**
 * A worker's Server-Sent Events stream (`GET <url>/poll/<group>/<pid>`): connects, parses events
 * into messages, and reconnects with backoff until closed.
 */
import type { Message } from "../protocol/messages.js";
import { ServerUnreachableError, UnexpectedAnswerError, backoff, describeFetchError, parseJson, sleep, type RetryOptions } from "./http-failures.js";

export interface StreamOptions {
  /** A stream silent this long is presumed dead and reopened. Default 45 s. */
  streamIdleTimeoutMs?: number;
  /** Called for transient failures that are being retried. */
  onRetry?: (error: Error, attempt: number) => void;
}

/** One worker stream: connects, parses events, reconnects with backoff until closed. */
export class Subscription {
  readonly connected: Promise<void>;
  private markConnected!: () => void;
  private failConnect!: (error: Error) => void;
  private everConnected = false;
  private closed = false;
  private abort = new AbortController();

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly onMessage: (message: Message) => void,
    private readonly retry: Required<RetryOptions>,
    private readonly options: StreamOptions,
  ) {
    this.connected = new Promise<void>((resolve, reject) => {
      this.markConnected = resolve;
      this.failConnect = reject;
    });
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.closed; ) {
      try {
        await this.stream();
        failures = 0; // the server ended a healthy stream (restart, shutdown): reconnect promptly
      } catch (error) {
        if (this.closed) return;
        const cause = error instanceof Error ? error : new Error(String(error));
        failures++;
        if (!this.everConnected && (error instanceof UnexpectedAnswerError || failures >= this.retry.maxAttempts)) {
          this.closed = true;
          this.failConnect(error instanceof UnexpectedAnswerError ? error : new ServerUnreachableError(this.url, describeFetchError(cause)));
          return;
        }
        this.options.onRetry?.(cause, failures);
      }
      if (!this.closed) await sleep(backoff(this.retry, Math.max(1, failures)));
    }
  }

  private async stream(): Promise<void> {
    this.abort = new AbortController();
    const idleTimeoutMs = this.options.streamIdleTimeoutMs ?? 45_000;
    let idle = setTimeout(() => this.abort.abort(), idleTimeoutMs);
    try {
      const answer = await fetch(this.url, { headers: { ...this.headers, accept: "text/event-stream" }, signal: this.abort.signal });
      if (!answer.ok || !answer.body) {
        const status = answer.status;
        await answer.body?.cancel();
        if (status >= 400 && status < 500 && status !== 429) throw new UnexpectedAnswerError(`HTTP ${status} from ${this.url}`, status);
        throw new Error(`HTTP ${status}`);
      }
      this.everConnected = true;
      this.markConnected();

      const reader = answer.body.getReader();
      const events = new EventStreamParser((data) => this.dispatch(data));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        clearTimeout(idle);
        idle = setTimeout(() => this.abort.abort(), idleTimeoutMs);
        events.push(value);
      }
    } finally {
      clearTimeout(idle);
    }
  }

  private dispatch(data: string): void {
    const message = parseJson(data);
    if (isMessage(message)) this.onMessage(message);
  }
}

/** Splits a `text/event-stream` into the data of its events (comments and other fields ignored). */
class EventStreamParser {
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private data: string[] = [];

  constructor(private readonly onEvent: (data: string) => void) {}

  push(chunk: Uint8Array): void {
    const text = this.decoder.decode(chunk, { stream: true });
    this.buffer += text;
    // A chunk without a line break only extends the line under way: a large event arrives in many
    // chunks, and splitting the whole buffer again for each made reading it quadratic.
    if (!LINE_BREAK.test(text)) return;
    // A trailing "\r" may be the first half of a "\r\n" split across chunks: decide next time.
    const pendingCr = this.buffer.endsWith("\r");
    const lines = (pendingCr ? this.buffer.slice(0, -1) : this.buffer).split(/\r\n|\r|\n/);
    this.buffer = (lines.pop() ?? "") + (pendingCr ? "\r" : "");
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) this.onEvent(this.data.join("\n"));
      this.data = [];
    } else if (line.startsWith("data:")) {
      this.data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    }
  }
}

const LINE_BREAK = /[\r\n]/;

function isMessage(value: unknown): value is Message {
  if (typeof value !== "object" || value === null) return false;
  const { kind, data } = value as { kind?: unknown; data?: unknown };
  return (kind === "execute" || kind === "unblock") && typeof data === "object" && data !== null;
}
