/**
 * Fan-out of committed messages to every process sharing the database, over LISTEN/NOTIFY.
 *
 * A NOTIFY payload must stay under 8000 bytes, so envelopes are packed into packets below that
 * size; an unblock message too big to fit (it carries the settled promise, value included) travels
 * as a reference and the receiver re-reads the promise, which cannot change once settled.
 * The publishing process delivers to its own subscribers directly (before `publish` resolves) and
 * ignores its echo; every other process hears the message through LISTEN.
 * Delivery is at most once: a receiver whose LISTEN connection dropped misses what was sent until
 * it reconnects, so messages are wake-ups, not the source of truth.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Envelope, UnblockMessage } from "../../protocol/messages.js";
import type { PromiseRecord } from "../../protocol/records.js";
import { quoteIdentifier } from "./identifiers.js";

/** Postgres refuses payloads of 8000 bytes or more; keep clear of the edge. */
export const MAX_PAYLOAD_BYTES = 7900;

type Item =
  | { envelope: Envelope }
  | { unblockRef: { address: string; head: UnblockMessage["head"]; promiseId: string } };

/** `sender` and `seq` make every payload unique: Postgres folds identical payloads within a transaction. */
interface Packet {
  sender: string;
  seq: number;
  items: Item[];
}

export interface BroadcastOptions {
  connection: pg.ClientConfig;
  /** Used to publish (autocommit: delivered at once) and to resolve references. */
  pool: pg.Pool;
  channel: string;
  readPromise: (id: string) => Promise<PromiseRecord | undefined>;
}

export interface Broadcast {
  publish(envelopes: Envelope[]): Promise<void>;
  subscribe(listener: (envelope: Envelope) => void): void;
  close(): Promise<void>;
}

/** Opens the LISTEN connection before returning, so anything published afterwards is received. */
export async function openBroadcast(options: BroadcastOptions): Promise<Broadcast> {
  const broadcast = new NotifyBroadcast(options);
  await broadcast.listen();
  return broadcast;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

class NotifyBroadcast implements Broadcast {
  private readonly sender = randomUUID();
  private seq = 0;
  private readonly listeners: ((envelope: Envelope) => void)[] = [];
  private client: pg.Client | undefined;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Packets are delivered one after another, so resolving a reference never reorders messages. */
  private delivery: Promise<void> = Promise.resolve();

  constructor(private readonly options: BroadcastOptions) {}

  async publish(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const payloads = pack(envelopes.map(toItem), () => ({ sender: this.sender, seq: this.seq++ }));
    // One statement: the notifications are queued in array order and sent together.
    const { pool, channel } = this.options;
    await pool.query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload", [channel, payloads]);
    // This process hears its own messages at once, as with any other backend: when the change that
    // produced them is acknowledged, local subscribers already know. Its echo is then ignored.
    for (const envelope of envelopes) this.emit(envelope);
  }

  subscribe(listener: (envelope: Envelope) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.delivery;
  }

  async listen(): Promise<void> {
    const { connection, channel } = this.options;
    const client = new pg.Client({ ...connection, application_name: `reprise listen ${channel}`, keepAlive: true });
    // Without an error listener a dropped connection would crash the process.
    client.on("error", () => this.reconnect(client));
    client.on("end", () => this.reconnect(client));
    client.on("notification", (notification) => {
      if (notification.channel === channel && notification.payload !== undefined) {
        this.enqueue(notification.payload);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (error) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private reconnect(failed: pg.Client): void {
    if (this.closed || this.client !== failed) return;
    this.client = undefined;
    failed.removeAllListeners("end");
    failed.end().catch(() => undefined);
    const retry = (): void => {
      this.reconnectTimer = undefined;
      if (this.closed) return;
      this.listen().catch(() => {
        this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
        this.reconnectTimer = setTimeout(retry, this.reconnectDelay);
      });
    };
    this.reconnectTimer = setTimeout(retry, this.reconnectDelay);
  }

  private enqueue(payload: string): void {
    this.delivery = this.delivery.then(() => this.deliver(payload)).catch(() => undefined);
  }

  private async deliver(payload: string): Promise<void> {
    const packet = parsePacket(payload);
    if (!packet || packet.sender === this.sender) return;
    for (const item of packet.items) {
      const envelope = "envelope" in item ? item.envelope : await this.resolve(item.unblockRef);
      if (envelope) this.emit(envelope);
    }
  }

  private emit(envelope: Envelope): void {
    for (const listener of this.listeners) {
      try {
        listener(envelope);
      } catch {
        // One failing subscriber must not starve the others or stop later messages.
      }
    }
  }

  private async resolve(ref: { address: string; head: UnblockMessage["head"]; promiseId: string }): Promise<Envelope | undefined> {
    const promise = await this.options.readPromise(ref.promiseId);
    if (!promise) return undefined;
    return { address: ref.address, message: { kind: "unblock", head: ref.head, data: { promise } } };
  }
}

/** Room left for the packet's own fields (`sender`, `seq`, `items`) around the items. */
const PACKET_OVERHEAD_BYTES = 120;
const ITEMS_BUDGET_BYTES = MAX_PAYLOAD_BYTES - PACKET_OVERHEAD_BYTES;

function toItem(envelope: Envelope): Item {
  const item: Item = { envelope };
  if (envelope.message.kind !== "unblock" || byteLength(JSON.stringify(item)) <= ITEMS_BUDGET_BYTES) return item;
  const { message } = envelope;
  return { unblockRef: { address: envelope.address, head: message.head, promiseId: message.data.promise.id } };
}

/** Packs items, in order, into as few payloads as fit under MAX_PAYLOAD_BYTES. */
function pack(items: Item[], header: () => Omit<Packet, "items">): string[] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let used = 0;
  for (const item of items) {
    const json = JSON.stringify(item);
    const size = byteLength(json) + 1; // and its comma
    if (size > ITEMS_BUDGET_BYTES) {
      throw new Error(`message for ${JSON.stringify(itemAddress(item))} is too large to broadcast over NOTIFY`);
    }
    if (used + size > ITEMS_BUDGET_BYTES) {
      batches.push(batch);
      batch = [];
      used = 0;
    }
    batch.push(json);
    used += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches.map((parts) => {
    const head = JSON.stringify(header());
    return `${head.slice(0, -1)},"items":[${parts.join(",")}]}`;
  });
}

function itemAddress(item: Item): string {
  return "envelope" in item ? item.envelope.address : item.unblockRef.address;
}

function parsePacket(payload: string): Packet | undefined {
  try {
    const packet = JSON.parse(payload) as Partial<Packet>;
    return Array.isArray(packet.items) ? (packet as Packet) : undefined;
  } catch {
    return undefined; // not ours: someone else NOTIFYing on the channel
  }
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
