/** Live data without a reload: poll while the tab is visible, tick a clock for countdowns; a button's request. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { onTokenSaved } from "./api.js";

export interface Polled<T> {
  data?: T;
  error?: string;
  /** Loads again now (after an action). */
  reload(): void;
}

/** Calls `load` now and every `intervalMs` while the page is visible; again when `key` changes. */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; key: string }>({ key });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (!document.hidden) {
        try {
          const data = await loadRef.current();
          if (!stopped) setState({ data, key });
        } catch (error) {
          if (!stopped) setState((previous) => ({ ...previous, error: error instanceof Error ? error.message : String(error), key }));
        }
      }
      if (!stopped) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    const unsubscribe = onTokenSaved(() => setGeneration((n) => n + 1));
    return () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
    };
  }, [key, intervalMs, generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  // Data loaded for another key (the previous page) is not shown for this one.
  return state.key === key ? { data: state.data, error: state.error, reload } : { reload };
}

let clockSkew = 0;

/** Aligns the page's clock with the server's (answers carry the server's `now`). */
export function syncClock(serverNow: number): void {
  clockSkew = serverNow - Date.now();
}

/** The server's time, re-rendering every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now() + clockSkew);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() + clockSkew), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export interface Action {
  busy: boolean;
  error?: string;
  /** Runs `act`: busy meanwhile, the previous error cleared, a failure kept as `error`. */
  run(act: () => Promise<void>): Promise<void>;
}

/** What a form's buttons do with the server: one request at a time, its failure shown as text. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (act: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await act();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
