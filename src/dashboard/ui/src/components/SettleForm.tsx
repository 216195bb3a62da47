/**
 * Resolves or rejects a pending external promise (`ctx.promise()`) through the server's REST
 * route. Resolve sends the JSON typed (text that is not JSON is sent as a string); reject sends
 * an encoded Error with the text as its message, so the workflow catches a real Error.
 */
import { useState } from "preact/hooks";
import { postJson } from "../api.js";
import { useAction } from "../hooks.js";

export function SettleForm({ id, onSettled }: { id: string; onSettled: () => void }) {
  const [text, setText] = useState("");
  const { busy, error, run } = useAction();

  const settle = (action: "resolve" | "reject") =>
    run(async () => {
      const value = action === "resolve" ? parseValue(text) : { __type: "error", name: "Error", message: text.trim() || "rejected from the dashboard" };
      await postJson(`/promises/${encodeURIComponent(id)}/${action}`, value === undefined ? {} : { value });
      onSettled();
    });

  return (
    <form class="settle" onSubmit={(event) => event.preventDefault()}>
      <label>
        Value (JSON) or rejection message
        <textarea name="value" rows={3} placeholder='{"approved": true}' value={text} onInput={(event) => setText((event.currentTarget as HTMLTextAreaElement).value)} />
      </label>
      <div class="buttons">
        <button type="button" name="resolve" disabled={busy} onClick={() => void settle("resolve")}>
          Resolve
        </button>
        <button type="button" name="reject" class="danger" disabled={busy} onClick={() => void settle("reject")}>
          Reject
        </button>
      </div>
      {error && <p class="error-text">{error}</p>}
    </form>
  );
}

function parseValue(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
