/**
 * The execution page's cancel button: asks the server to cancel the execution (and everything it
 * awaits). The execution then runs its cleanup and ends rejected_canceled; the page, polling,
 * shows it. What the server answered is shown as it said it, a no-op included.
 */
import { useState } from "preact/hooks";
import type { CancelAnswer } from "../../../api-types.js";
import { postJson } from "../api.js";
import { useAction } from "../hooks.js";

export function CancelExecution({ id, onRequested }: { id: string; onRequested: () => void }) {
  const [reason, setReason] = useState("");
  const [answer, setAnswer] = useState<string | undefined>(undefined);
  const { busy, error, run } = useAction();

  const cancel = () =>
    run(async () => {
      const result = await postJson<CancelAnswer>(`/api/executions/${encodeURIComponent(id)}/cancel`, reason.trim() ? { reason: reason.trim() } : {});
      setAnswer(result.message);
      onRequested();
    });

  return (
    <form class="cancel-execution" onSubmit={(event) => event.preventDefault()}>
      <label>
        Reason (optional)
        <input name="reason" value={reason} maxLength={1000} onInput={(event) => setReason((event.currentTarget as HTMLInputElement).value)} />
      </label>
      <button type="button" name="cancel-execution" class="danger" disabled={busy} onClick={() => void cancel()}>
        Cancel execution
      </button>
      {answer && <p class="cancel-answer">{answer}</p>}
      {error && <p class="error-text">{error}</p>}
    </form>
  );
}
