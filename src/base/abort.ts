// Abort listeners that cannot miss the abort. An AbortSignal fires "abort" once: a listener added
// after that never runs, so code that awaited something (a list, a write) and then registered one
// would wait forever for a stop that already came — a server's close() hung on exactly this.

/** Runs `fn` once when `signal` aborts, at once if it already has; returns a function that removes it. */
export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

/** Resolves after `ms`, or as soon as `signal` aborts (at once when it already has). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(() => done(), ms);
    const stop = whenAborted(signal, () => done());
    function done(): void {
      clearTimeout(t);
      stop();
      resolve();
    }
  });
}
