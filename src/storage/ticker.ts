// Tickers drive watch bookmarks: an interval in production, a manual trigger in tests.
import type { Ticker } from "./types.ts";

export function intervalTicker(ms: number): Ticker {
  return {
    subscribe(listener) {
      const t = setInterval(listener, ms);
      t.unref?.();
      return () => clearInterval(t);
    },
  };
}

export function manualTicker(): Ticker & { tick(): void } {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tick() {
      for (const l of [...listeners]) l();
    },
  };
}
