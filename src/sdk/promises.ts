/** Durable promises from outside a workflow: what an HTTP handler or a script uses to signal one. */
import { ConflictError, InvalidArgumentError, StoreError } from "../engine/errors.js";
import { decodeValue, encodeValue } from "../protocol/codec.js";
import type { PromiseRecord, PromiseState, SettleState, Tags } from "../protocol/records.js";
import type { RequestOf, SuccessData } from "../protocol/requests.js";
import type { ProtocolClient } from "./client.js";
import { checkId } from "./ids.js";

/** A durable promise with its payloads decoded. */
export interface DurablePromiseView<T = unknown> {
  id: string;
  state: PromiseState;
  param: unknown;
  value: T | undefined;
  tags: Tags;
  timeoutAt: number;
  createdAt: number;
  settledAt?: number;
}

export interface SearchQuery {
  /** Id glob: `*` matches any run of characters. */
  id?: string;
  state?: PromiseState;
  tags?: Tags;
  limit?: number;
  cursor?: string;
}

export class Promises {
  constructor(private readonly client: () => Promise<ProtocolClient>) {}

  async get<T = unknown>(id: string): Promise<DurablePromiseView<T>> {
    checkId(id, "id");
    const data = await this.expect("promise.get", { id });
    return view<T>(data.promise);
  }

  /** Creates a durable promise (idempotent on id; with `idempotencyKey`, a different key is a conflict). */
  async create<T = unknown>(
    id: string,
    options: { timeout?: number; data?: unknown; tags?: Tags; idempotencyKey?: string } = {},
  ): Promise<DurablePromiseView<T>> {
    checkId(id, "id");
    const timeout = options.timeout ?? 24 * 60 * 60 * 1000;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new InvalidArgumentError(`timeout: expected a positive number of ms, got ${timeout}`);
    const param = options.data === undefined ? {} : encodeValue(options.data, "data");
    const data = await this.expect("promise.create", {
      id,
      timeoutAt: Date.now() + timeout,
      param,
      tags: options.tags ?? {},
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    });
    return view<T>(data.promise);
  }

  resolve<T = unknown>(id: string, value?: unknown, options: { idempotencyKey?: string } = {}): Promise<DurablePromiseView<T>> {
    return this.settle<T>(id, "resolved", value, options.idempotencyKey);
  }

  reject<T = unknown>(id: string, error?: unknown, options: { idempotencyKey?: string } = {}): Promise<DurablePromiseView<T>> {
    return this.settle<T>(id, "rejected", error, options.idempotencyKey);
  }

  cancel<T = unknown>(id: string, reason?: unknown, options: { idempotencyKey?: string } = {}): Promise<DurablePromiseView<T>> {
    return this.settle<T>(id, "rejected_canceled", reason, options.idempotencyKey);
  }

  async search(query: SearchQuery = {}): Promise<{ promises: DurablePromiseView[]; cursor?: string }> {
    const data = await this.expect("promise.search", query);
    return { promises: data.promises.map((p) => view(p)), cursor: data.cursor };
  }

  private async settle<T>(id: string, state: SettleState, value: unknown, idempotencyKey?: string): Promise<DurablePromiseView<T>> {
    checkId(id, "id");
    const encoded = encodeValue(value, "value");
    const data = await this.expect("promise.settle", { id, state, value: encoded, ...(idempotencyKey ? { idempotencyKey } : {}) });
    return view<T>(data.promise);
  }

  private async expect<K extends "promise.get" | "promise.create" | "promise.settle" | "promise.search">(
    kind: K,
    data: RequestOf<K>["data"],
  ): Promise<SuccessData[K]> {
    const client = await this.client();
    try {
      return await client.expect(kind, data);
    } catch (error) {
      if (error instanceof StoreError && error.status === 404) throw new StoreError(404, `no durable promise with id ${JSON.stringify((data as { id?: string }).id)}`);
      if (error instanceof StoreError && error.status === 409) throw new ConflictError(error.message);
      if (error instanceof StoreError && error.status === 400) throw new InvalidArgumentError(error.message);
      throw error;
    }
  }
}

export function view<T>(record: PromiseRecord): DurablePromiseView<T> {
  return {
    id: record.id,
    state: record.state,
    param: safeDecode(record.param),
    value: safeDecode(record.value) as T | undefined,
    tags: record.tags,
    timeoutAt: record.timeoutAt,
    createdAt: record.createdAt,
    ...(record.settledAt !== undefined ? { settledAt: record.settledAt } : {}),
  };
}

function safeDecode(value: PromiseRecord["value"]): unknown {
  try {
    return decodeValue(value);
  } catch {
    return value.data;
  }
}
