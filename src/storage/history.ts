// Shared pieces of the in-process backends (memory, sqlite): reading a past snapshot back from
// the event history, so a paginated list reads one revision as etcd's range `revision` does.
import { StorageError } from "./types.ts";
import type { BackendEvent, KeyValue } from "./types.ts";

export function eventKey(e: BackendEvent): string {
  return e.type === "put" ? e.kv.key : e.key;
}

export function eventRevision(e: BackendEvent): number {
  return e.type === "put" ? e.kv.modRevision : e.revision;
}

/** Throws "compacted" when events at or below `compacted` are gone and `revision` needs them. */
export function checkNotCompacted(revision: number, compacted: number, what: string): void {
  if (revision < compacted) {
    throw new StorageError("compacted", `${what} at revision ${revision}: required revision has been compacted (oldest kept is ${compacted + 1})`, {
      revision: compacted + 1,
    });
  }
}

/**
 * The pairs as they were at revision R, given the current pairs (key-ordered, already limited to
 * the range and to keys > startAfter) and every event with revision > R in that range (revision
 * order). A key touched after R had, at R, the `prev` of its first later event (none = absent).
 */
export function pairsAtRevision(
  current: readonly KeyValue[],
  later: readonly BackendEvent[],
  startAfter: string | undefined,
  limit: number | undefined,
): { items: KeyValue[]; more: boolean } {
  const before = new Map<string, KeyValue | undefined>();
  for (const e of later) {
    const key = eventKey(e);
    if (!before.has(key)) before.set(key, e.prev);
  }
  const items: KeyValue[] = [];
  for (const kv of current) if (!before.has(kv.key)) items.push(kv);
  for (const [key, prev] of before) {
    if (prev !== undefined && (startAfter === undefined || key > startAfter)) items.push(prev);
  }
  items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (limit !== undefined && limit > 0 && items.length > limit) return { items: items.slice(0, limit), more: true };
  return { items, more: false };
}
