// The SQLite layout: current pairs, a bounded event log (the watch history; older revisions are
// "compacted"), and meta rows for the global revision and the compaction point.
import type { BackendEvent, KeyValue } from "../types.ts";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  create_rev INTEGER NOT NULL,
  mod_rev INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  rev INTEGER PRIMARY KEY,
  type INTEGER NOT NULL,          -- 0 put, 1 delete
  key TEXT NOT NULL,
  value BLOB,                     -- the new value (put)
  create_rev INTEGER,             -- the new pair's createRevision (put)
  prev_value BLOB,
  prev_create_rev INTEGER,
  prev_mod_rev INTEGER
);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(name, value) VALUES ('revision', 0), ('compacted', 0);
`;

export interface KvRow {
  key: string;
  value: Uint8Array;
  create_rev: number;
  mod_rev: number;
}

export interface EventRow {
  rev: number;
  type: number;
  key: string;
  value: Uint8Array | null;
  create_rev: number | null;
  prev_value: Uint8Array | null;
  prev_create_rev: number | null;
  prev_mod_rev: number | null;
}

export function pairOf(row: KvRow): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_rev, modRevision: row.mod_rev };
}

export function eventOf(row: EventRow): BackendEvent {
  const prev: KeyValue | undefined =
    row.prev_value === null ? undefined : { key: row.key, value: row.prev_value, createRevision: row.prev_create_rev ?? 0, modRevision: row.prev_mod_rev ?? 0 };
  if (row.type === 1) return { type: "delete", key: row.key, revision: row.rev, prev };
  const kv: KeyValue = { key: row.key, value: row.value ?? new Uint8Array(0), createRevision: row.create_rev ?? row.rev, modRevision: row.rev };
  return { type: "put", kv, prev };
}

/** The bind values of an events row for `event` (see SCHEMA column order). */
export function eventParams(event: BackendEvent): unknown[] {
  const p = event.prev;
  const prev = [p?.value ?? null, p?.createRevision ?? null, p?.modRevision ?? null];
  if (event.type === "delete") return [event.revision, 1, event.key, null, null, ...prev];
  return [event.kv.modRevision, 0, event.kv.key, event.kv.value, event.kv.createRevision, ...prev];
}

/** The smallest string greater than every key with `prefix` (etcd's prefix range end). Keys are
 *  ASCII in practice (kube names are RFC 1123), where UTF-8 and UTF-16 order agree. */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (prefix === "" || last >= 0xd7ff) return `${prefix}\u{10ffff}`;
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
