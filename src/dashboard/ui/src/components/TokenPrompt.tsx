/** Asks for the server's bearer token, once; it is kept in this browser's localStorage. */
import { useState } from "preact/hooks";
import { saveToken } from "../api.js";

export function TokenPrompt({ refused, onSaved }: { refused: boolean; onSaved: () => void }) {
  const [token, setToken] = useState("");
  const submit = (event: Event) => {
    event.preventDefault();
    if (!token.trim()) return;
    saveToken(token);
    onSaved();
  };
  return (
    <div class="overlay">
      <form class="card token-prompt" onSubmit={submit}>
        <h2>This server needs a token</h2>
        <p class="muted">{refused ? "The saved token was refused. " : ""}It is kept in this browser and sent as a bearer token.</p>
        <input
          type="password"
          name="token"
          autoFocus
          placeholder="REPRISE_AUTH_TOKEN"
          value={token}
          onInput={(event) => setToken((event.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit">Save</button>
      </form>
    </div>
  );
}
