/**
 * Which functions have declared flow limits, as this store last read them: consulted when an
 * execution is created, to tag it as flow-controlled (kernel/flow.ts) when its caller did not.
 * Reading the declarations on every creation would cost a query each; they change only when
 * workers start, so they are read again at most once a second (`MAX_AGE_MS`), and at once after
 * this store applies a declaration. A declaration made through another server (or another process
 * sharing a SQLite file) reaches this one within that second.
 */
import type { FlowDeclaration } from "../../protocol/records.js";
import type { Tx } from "../backend.js";

const MAX_AGE_MS = 1000;

export class DeclaredLimits {
  private byFunction = new Map<string, FlowDeclaration>();
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: () => number = Date.now) {}

  /** The declaration of `group`'s `func`, reading them all again if the last read is stale. */
  async find(tx: Tx, group: string, func: string): Promise<FlowDeclaration | undefined> {
    const now = this.clock();
    if (now - this.readAt > MAX_AGE_MS || now < this.readAt) {
      const declarations = await tx.getFlowLimits();
      this.byFunction = new Map(declarations.map((d) => [functionKey(d.group, d.func), d]));
      this.readAt = now;
    }
    return this.byFunction.get(functionKey(group, func));
  }

  /** Declarations changed: the next lookup reads them again. */
  invalidate(): void {
    this.readAt = Number.NEGATIVE_INFINITY;
  }
}

/** The key of a group's function, where a map holds one entry per function (declarations, counts). */
export function functionKey(group: string, func: string): string {
  return `${group}\u0000${func}`;
}
