/**
 * What every conformance spec works with: a fresh store per test, a recorder of the messages it
 * delivers, and short request builders. Time is always passed explicitly (`now`), never slept.
 */
import { afterEach, beforeEach, expect } from "vitest";
import type { Envelope } from "../../../src/protocol/messages.js";
import type { RequestKind, RequestOf, Response, SuccessData } from "../../../src/protocol/requests.js";
import { TAG } from "../../../src/protocol/tags.js";
import type { Backend } from "../../../src/store/backend.js";
import type { Store } from "../../../src/store/store.js";

/**
 * Opens a fresh store. `wrap`, when given, sits between the store and its backend: the batch
 * specs count transactions through it and make one item throw.
 */
export type OpenStore = (wrap?: (backend: Backend) => Backend) => Promise<{ store: Store; cleanup?: () => Promise<void> }>;

/** An arbitrary origin of time, far from 0 so that "before" and "after" are both representable. */
export const T0 = 1_700_000_000_000;
export const TARGET = "poll://any@workers";
export const TARGETED = { [TAG.target]: TARGET };

export class Subject {
  readonly messages: Envelope[] = [];

  constructor(readonly store: Store) {
    store.onMessage((envelope) => this.messages.push(envelope));
  }

  send<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], now = T0): Promise<Response<K>> {
    return this.store.apply({ kind, head: { corrId: `${kind}-corr`, version: "test" }, data } as RequestOf<K>, now);
  }

  /** Sends and expects `status` (200 by default); returns the success data. */
  async ok<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], now = T0, status: 200 | 300 = 200): Promise<SuccessData[K]> {
    const res = await this.send(kind, data, now);
    expect(res.head.status, `${kind} answered ${JSON.stringify(res.data)}`).toBe(status);
    return res.data as SuccessData[K];
  }

  /** Sends and expects an error `status`; returns the message. */
  async error<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], status: number, now = T0): Promise<string> {
    const res = await this.send(kind, data, now);
    expect(res.head.status, `${kind} answered ${JSON.stringify(res.data)}`).toBe(status);
    expect(typeof res.data).toBe("string");
    return res.data as string;
  }

  /** The messages delivered since the last call. */
  takeMessages(): Envelope[] {
    return this.messages.splice(0);
  }

  // -- request shorthands ----------------------------------------------------------------------

  create(id: string, fields: Partial<RequestOf<"promise.create">["data"]> = {}, now = T0) {
    return this.ok("promise.create", { id, timeoutAt: now + 60_000, param: {}, tags: {}, ...fields }, now);
  }

  /** A promise with a target: it gets a pending task at version 0. */
  createTargeted(id: string, fields: Partial<RequestOf<"promise.create">["data"]> = {}, now = T0) {
    return this.create(id, { tags: { ...TARGETED, ...fields.tags }, ...withoutTags(fields) }, now);
  }

  /** A targeted promise whose task `pid` holds at version 1. */
  async acquired(id: string, pid = "worker-1", ttl = 10_000, now = T0) {
    await this.createTargeted(id, {}, now);
    return this.ok("task.acquire", { id, version: 0, pid, ttl }, now);
  }

  settle(id: string, state: "resolved" | "rejected" | "rejected_canceled" = "resolved", now = T0, data?: string) {
    return this.ok("promise.settle", { id, state, value: data === undefined ? {} : { data } }, now);
  }

  async getTask(id: string, now = T0) {
    return (await this.ok("task.get", { id }, now)).task;
  }

  async getPromise(id: string, now = T0) {
    return (await this.ok("promise.get", { id }, now)).promise;
  }
}

function withoutTags<T extends { tags?: unknown }>(fields: T): Omit<T, "tags"> {
  const { tags: _tags, ...rest } = fields;
  return rest;
}

/** Opens a fresh store before each test and closes it after; the getter returns the current one. */
export function useSubject(open: OpenStore): () => Subject {
  let current: { subject: Subject; cleanup?: () => Promise<void> } | undefined;
  beforeEach(async () => {
    const { store, cleanup } = await open();
    current = { subject: new Subject(store), cleanup };
  });
  afterEach(async () => {
    await current?.subject.store.close();
    await current?.cleanup?.();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("no store: use the getter inside a test");
    return current.subject;
  };
}

export function executeMessage(id: string, version: number, address = TARGET): Envelope {
  return { address, message: { kind: "execute", head: {}, data: { task: { id, version } } } };
}
