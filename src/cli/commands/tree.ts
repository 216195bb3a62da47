/** `reprise tree <id>`: the call tree of an execution. */
import type { Command } from "commander";
import type { TreeNode } from "../../tree/build-tree.js";
import { renderTree } from "../../tree/render-tree.js";
import { contextOf } from "../context.js";
import { show } from "../output.js";

export function registerTree(program: Command): void {
  program
    .command("tree <id>")
    .description("show the call tree of an execution: every step, sleep and promise under it")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const answer = await client.get<{ tree: TreeNode; truncated: boolean }>(`/promises/${encodeURIComponent(id)}/tree`, `promise ${JSON.stringify(id)}`);
      show(out, answer, () => renderTree(answer.tree, { now: Date.now() }) + (answer.truncated ? "\n… (truncated)" : ""));
    });
}
