/** Typed protocol requests over a Transport: builds heads, unwraps answers, names failures. */
import { randomUUID } from "node:crypto";
import { StoreError } from "../engine/errors.js";
import { markValidated } from "../protocol/validation.js";
import { PROTOCOL_VERSION, type RequestKind, type RequestOf, type Response, type SuccessData } from "../protocol/requests.js";
import type { Transport } from "../transport/transport.js";

export class ProtocolClient {
  /** Correlation ids: unique per client, cheap per request (a UUID each cost more than the request on the embedded path). */
  private readonly corrPrefix = `${randomUUID().slice(0, 8)}-`;
  private sent = 0;

  constructor(
    readonly transport: Transport,
    private readonly auth?: string,
  ) {}

  /** Sends a request and returns the answer, whatever its status. */
  send<K extends RequestKind>(kind: K, data: RequestOf<K>["data"]): Promise<Response<K>> {
    return this.transport.send(this.request(kind, data)) as Promise<Response<K>>;
  }

  /**
   * Sends a request the SDK built from parts it checked (sdk/checked-writes.ts), values held to
   * `maxValueBytes`: an embedded store does not validate it again.
   */
  sendChecked<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], maxValueBytes: number): Promise<Response<K>> {
    const req = this.request(kind, data);
    markValidated(req, maxValueBytes);
    return this.transport.send(req) as Promise<Response<K>>;
  }

  private request<K extends RequestKind>(kind: K, data: RequestOf<K>["data"]): RequestOf<K> {
    const head = { corrId: `${this.corrPrefix}${++this.sent}`, version: PROTOCOL_VERSION, ...(this.auth ? { auth: this.auth } : {}) };
    return { kind, head, data } as RequestOf<K>;
  }

  /** Sends a request and returns its data; any status but 200 (or 300, when allowed) is a StoreError. */
  async expect<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], allowRedirect = false): Promise<SuccessData[K]> {
    const response = await this.send(kind, data);
    const status = response.head.status;
    if (status === 200 || (allowRedirect && status === 300)) return response.data as SuccessData[K];
    throw new StoreError(status, `${kind} failed with ${status}: ${typeof response.data === "string" ? response.data : JSON.stringify(response.data)}`);
  }
}

export { action } from "../protocol/requests.js";
