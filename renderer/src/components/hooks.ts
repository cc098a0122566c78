import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  /** What went wrong, in words (an ApiError's message); null after a success. */
  error: string | null;
  isLoading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` when `deps` change, and again every `intervalMs` (null: once) while the tab is
 * visible. A load still running when deps change is aborted; its result is dropped.
 */
export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  intervalMs: number | null = null,
): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isLoading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // The caller names what the load depends on (`deps`); the load itself is read from a ref.
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      setLoading(true);
      try {
        const value = await loadRef.current(abort.signal);
        if (abort.signal.aborted) return;
        setData(value);
        setError(null);
      } catch (e) {
        if (abort.signal.aborted) return;
        setError((e as Error).message);
      } finally {
        if (!abort.signal.aborted) {
          setLoading(false);
          if (intervalMs !== null) {
            timer = setTimeout(
              run,
              document.visibilityState === 'hidden' ? Math.max(intervalMs, 15_000) : intervalMs,
            );
          }
        }
      }
    };
    void run();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, isLoading, reload };
}

/** A value that changes every `intervalMs` (relative times and uptimes tick without a refetch). */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
