// Helpers shared by the conformance suites: unique key spaces (a shared etcd may hold other
// tests' keys, so nothing assumes an empty store or contiguous revisions) and watch readers that
// fail a broken backend by a deadline instead of hanging the run.
import { randomBytes } from "node:crypto";

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export function uniqueName(stem: string): string {
  return `${stem}${randomBytes(4).toString("hex")}`;
}

/** Waiting longer than this for a watch event means the backend lost it (a failure, not logic). */
const DEADLINE_MS = 5000;

export interface WatchReader<E> {
  next(): Promise<E>;
  /** Resolves true when the stream ended (done) within the deadline. */
  ended(): Promise<boolean>;
  close(): void;
}

export function readWatch<E>(open: (signal: AbortSignal) => AsyncIterable<E>): WatchReader<E> {
  const ac = new AbortController();
  const it = open(ac.signal)[Symbol.asyncIterator]();
  // Ask for the first event now so the watch is established before the test writes (generators are lazy).
  let first: Promise<IteratorResult<E>> | undefined = it.next();
  first.catch(() => undefined);
  const step = async (): Promise<IteratorResult<E>> => {
    const pending = first ?? it.next();
    first = undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no watch event within ${DEADLINE_MS} ms`)), DEADLINE_MS);
    });
    try {
      return await Promise.race([pending, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async next() {
      const r = await step();
      if (r.done) throw new Error("watch ended early");
      return r.value;
    },
    async ended() {
      return (await step()).done === true;
    },
    close() {
      ac.abort();
    },
  };
}

/** Reads `n` events. */
export async function take<E>(reader: WatchReader<E>, n: number): Promise<E[]> {
  const out: E[] = [];
  for (let i = 0; i < n; i++) out.push(await reader.next());
  return out;
}
