/**
 * The CLI's connection to a server: protocol requests through HttpTransport (the same client the
 * SDK uses) and the REST face for what the protocol has no kind for (the call tree). Every
 * failure becomes a CliError with the exit code that says what went wrong.
 */
import { randomUUID } from "node:crypto";
import { PROTOCOL_VERSION, STATUS, type RequestKind, type RequestOf, type SuccessData } from "../protocol/requests.js";
import { HttpTransport, ServerUnreachableError, UnexpectedAnswerError } from "../transport/http.js";
import { CliError, EXIT } from "./exit-codes.js";

export interface ClientOptions {
  server: string;
  authToken?: string;
}

export class Client {
  private readonly transport: HttpTransport;

  constructor(private readonly options: ClientOptions) {
    this.transport = new HttpTransport({
      url: options.server,
      authToken: options.authToken,
      // A person is waiting: one quick retry, then say the server is down.
      retry: { maxAttempts: 2, initialDelayMs: 200, maxDelayMs: 200 },
    });
  }

  /** Sends a protocol request; answers other than 200/300 become a CliError (exit 1). */
  async request<K extends RequestKind>(kind: K, data: RequestOf<K>["data"]): Promise<SuccessData[K]> {
    const req = { kind, head: { corrId: randomUUID(), version: PROTOCOL_VERSION }, data } as RequestOf<K>;
    try {
      const response = await this.transport.send(req);
      if (typeof response.data === "string") throw new CliError(this.explain(response.head.status, response.data, subjectOf(kind, data)), EXIT.failure);
      return response.data as SuccessData[K];
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** GET on the REST face; non-2xx answers become a CliError (exit 1). */
  async get<T>(path: string, subject?: string): Promise<T> {
    let answer: globalThis.Response;
    try {
      answer = await fetch(`${this.options.server.replace(/\/+$/, "")}${path}`, {
        headers: this.options.authToken ? { authorization: `Bearer ${this.options.authToken}` } : {},
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw this.translate(new ServerUnreachableError(this.options.server, error instanceof Error ? error : new Error(String(error))));
    }
    const body = (await answer.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    if (!answer.ok) throw new CliError(this.explain(answer.status, body?.error?.message ?? `HTTP ${answer.status}`, subject), EXIT.failure);
    return body as T;
  }

  private explain(status: number, message: string, subject?: string): string {
    if (status === STATUS.unauthorized) return `unauthorized (${message}): pass --auth-token or set REPRISE_AUTH_TOKEN`;
    // The server's "Promise not found" does not say which one; a person may have typed several ids.
    if (status === STATUS.notFound && subject !== undefined) return `${subject} not found`;
    return message;
  }

  private translate(error: unknown): unknown {
    if (error instanceof ServerUnreachableError) {
      return new CliError(`cannot reach Reprise server at ${this.options.server} — is \`reprise serve\` running? (${error.cause.message})`, EXIT.unreachable);
    }
    if (error instanceof UnexpectedAnswerError) return new CliError(this.explain(error.status, error.message), EXIT.failure);
    return error;
  }
}

/** `promise "order-7"` for a request about one promise or schedule, so a 404 can name it. */
function subjectOf(kind: RequestKind, data: unknown): string | undefined {
  const id = typeof data === "object" && data !== null && "id" in data && typeof data.id === "string" ? data.id : undefined;
  if (id === undefined) return undefined;
  return `${kind.startsWith("schedule.") ? "schedule" : "promise"} ${JSON.stringify(id)}`;
}
