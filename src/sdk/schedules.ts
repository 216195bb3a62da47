/** Cron schedules: the store creates an execution of `func` at every tick of `cron`. */
import { InvalidArgumentError, StoreError } from "../engine/errors.js";
import { splitOptions } from "../engine/options.js";
import { encodeCall, rootTags } from "../protocol/calls.js";
import type { ScheduleRecord } from "../protocol/records.js";
import { toAddress } from "../protocol/tags.js";
import type { ProtocolClient } from "./client.js";
import { checkId } from "./ids.js";

export class Schedules {
  constructor(
    private readonly client: () => Promise<ProtocolClient>,
    private readonly group: string,
  ) {}

  /** Every tick of `cron` starts `func(...args)` as execution `${id}.${tick time}`; idempotent on id. */
  async create(id: string, cron: string, func: string, ...rest: unknown[]): Promise<ScheduleRecord> {
    checkId(id, "id");
    const { args, options } = splitOptions(rest);
    const target = toAddress(options.target ?? this.group);
    const client = await this.client();
    const response = await client.send("schedule.create", {
      id,
      cron,
      promiseId: "{{.id}}.{{.timestamp}}",
      promiseTimeout: options.timeout ?? 24 * 60 * 60 * 1000,
      promiseParam: encodeCall(func, args),
      promiseTags: { ...options.tags, ...rootTags(func, target) },
    });
    if (response.head.status === 400) throw new InvalidArgumentError(String(response.data));
    if (response.head.status !== 200) throw new StoreError(response.head.status, String(response.data));
    return (response.data as { schedule: ScheduleRecord }).schedule;
  }

  async get(id: string): Promise<ScheduleRecord> {
    checkId(id, "id");
    return (await (await this.client()).expect("schedule.get", { id })).schedule;
  }

  async delete(id: string): Promise<void> {
    checkId(id, "id");
    await (await this.client()).expect("schedule.delete", { id });
  }

  async search(query: { limit?: number; cursor?: string } = {}): Promise<{ schedules: ScheduleRecord[]; cursor?: string }> {
    return (await this.client()).expect("schedule.search", query);
  }
}
