/**
 * A `Backend` in process memory, for tests and throwaway runs. Transactions run one at a time;
 * a transaction that throws is undone from the tables' journals.
 */
import type { Backend, Tx } from "../backend.js";
import { MemoryTx } from "./memory-tx.js";
import { Mutex } from "./mutex.js";
import { MemoryTables } from "./tables.js";

export class MemoryBackend implements Backend {
  private readonly tables = new MemoryTables();
  private readonly mutex = new Mutex();
  private closed = false;

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("Backend is closed"));
    return this.mutex.run(async () => {
      this.tables.begin();
      try {
        const result = await work(new MemoryTx(this.tables));
        this.tables.commit();
        return result;
      } catch (error) {
        this.tables.rollback();
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
