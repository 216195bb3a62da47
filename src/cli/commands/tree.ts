/** `reprise tree <id>`: the call tree of an execution, and what its task says about take-overs. */
import type { Command } from "commander";
import type { TaskRecord } from "../../protocol/records.js";
import type { TreeNode } from "../../tree/build-tree.js";
import { taskViewOf, type TaskView } from "../../tree/pickups.js";
import { renderTree } from "../../tree/render-tree.js";
import type { Client } from "../client.js";
import { contextOf } from "../context.js";
import { show } from "../output.js";

export function registerTree(program: Command): void {
  program
    .command("tree <id>")
    .description("show the call tree of an execution: every step, sleep and promise under it, and who runs it")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const answer = await client.get<{ tree: TreeNode; truncated: boolean }>(`/promises/${encodeURIComponent(id)}/tree`, `promise ${JSON.stringify(id)}`);
      const task = await taskOf(client, id, answer.tree);
      const data = task ? { ...answer, task } : answer;
      show(out, data, () => renderTree(answer.tree, { now: Date.now(), ...(task ? { task } : {}) }) + (answer.truncated ? "\n… (truncated)" : ""));
    });
}

/** The execution's task, if it has one (a promise that is not an execution has none). */
async function taskOf(client: Client, id: string, tree: TreeNode): Promise<TaskView | undefined> {
  try {
    const { task } = (await client.request("task.get", { id })) as { task: TaskRecord };
    return taskViewOf(task, tree);
  } catch {
    return undefined; // No task, or a server that will not say: the tree alone is still right.
  }
}
