/** A decoded payload; a folded one shows its start and loads the rest on demand. */
import { useState } from "preact/hooks";
import type { PromiseValues, ShownValue } from "../../../api-types.js";
import { getJson } from "../api.js";

interface ValueProps {
  label: string;
  promiseId: string;
  field: "param" | "value";
  shown: ShownValue;
}

export function ValueBlock({ label, promiseId, field, shown }: ValueProps) {
  const [full, setFull] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const unfold = async () => {
    try {
      const values = await getJson<PromiseValues>(`/api/promises/${encodeURIComponent(promiseId)}/values`);
      setFull(values[field]?.text ?? "");
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <div class={`value value-${field}`}>
      <div class="value-label">
        {label}
        {!shown.json && <span class="muted"> (not JSON, shown as stored)</span>}
      </div>
      <pre>{full ?? (shown.folded ? `${shown.text}…` : shown.text)}</pre>
      {shown.folded && full === undefined && (
        <button type="button" class="link" onClick={() => void unfold()}>
          show all {shown.size.toLocaleString()} characters
        </button>
      )}
      {error && <p class="error-text">{error}</p>}
    </div>
  );
}
