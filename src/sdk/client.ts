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

  /**
   * Sends a request and returns the answer, whatever its status. `checkedUnder`: the SDK built it
   * from parts it checked (sdk/checked-writes.ts), values held to that many bytes, so an embedded
   * store does not validate it again.
   */
  send<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], checkedUnder?: number): Promise<Response<K>> {
    const head = { corrId: `${this.corrPrefix}${++this.sent}`, version: PROTOCOL_VERSION, ...(this.auth ? { auth: this.auth } : {}) };
    const req = { kind, head, data } as RequestOf<K>;
    if (checkedUnder !== undefined) markValidated(req, checkedUnder);
    return this.transport.send(req) as Promise<Response<K>>;
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
