// Storage contracts (DESIGN.md): StorageBackend is byte-level with etcd semantics — one global,
// increasing revision; every write gets a new revision; compare-and-swap on modRevision; watch from
// a revision. Store<T> is the typed layer on top (resourceVersion = modRevision).
import { KpkiError } from "../base/index.ts";
import type { ApiObject } from "../api/index.ts";

export type StorageErrorCode =
  | "exists" // create of a key that exists
  | "not-found" // update/delete of a missing key
  | "conflict" // expected revision differs
  | "compacted" // watch/list from a revision older than the oldest kept (→ 410 Gone)
  | "unavailable" // backend down / timeout (→ 503)
  | "too-large" // the backend refused the value's size (etcd --max-request-bytes, 1.5 MiB by default) (→ 413)
  | "too-new" // a read "not older than" a revision the store has not reached (→ 504, kube's ResourceVersionTooLarge)
  | "corrupt" // stored bytes do not decode
  | "invalid"; // a malformed resourceVersion or continue token from the client (→ 400)

export class StorageError extends KpkiError<StorageErrorCode> {
  /** "compacted": the oldest revision still readable, when known; "too-new": the store's revision. */
  readonly revision: number | undefined;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown; revision?: number }) {
    super(code, message, options);
    this.revision = options?.revision;
  }
}

export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
}

export type BackendEvent =
  | { readonly type: "put"; readonly kv: KeyValue; readonly prev?: KeyValue }
  | { readonly type: "delete"; readonly key: string; readonly revision: number; readonly prev?: KeyValue };

export interface ListOptions {
  /** Only keys strictly greater than this (pagination). */
  readonly startAfter?: string;
  readonly limit?: number;
  /** Read the keys as they were at this revision (etcd range `revision`), so every page of a
   *  paginated list is one consistent snapshot, as kube's continue tokens promise. Throws
   *  StorageError "compacted" when the revision is older than the history kept. Unset = latest. */
  readonly revision?: number;
  /** With no `revision`: every revision at or after this one will do (kube's resourceVersion "0" and
   *  match NotOlderThan), so a watch cache may answer without confirming etcd's latest revision.
   *  Backends that always read the latest ignore it. */
  readonly notOlderThan?: number;
}

export interface ListResult {
  readonly items: readonly KeyValue[];
  /** The store revision the list was read at. */
  readonly revision: number;
  /** True when `limit` cut the result. */
  readonly more: boolean;
}

export interface GetOptions {
  /** Any revision at or after this one will do (kube's GET resourceVersion "0" = any, "N" = not older
   *  than N), so a watch cache may answer from memory without confirming etcd's latest revision.
   *  Unset = the latest (a consistent read). Backends that always read the latest ignore it. */
  readonly notOlderThan?: number;
}

export interface StorageBackend {
  get(key: string, options?: GetOptions): Promise<KeyValue | undefined>;
  /** Keys with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Throws StorageError "exists". */
  create(key: string, value: Uint8Array): Promise<KeyValue>;
  /** Compare-and-swap: throws "not-found", or "conflict" when modRevision ≠ expectedRevision. */
  update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue>;
  /** Returns the deleted pair; throws "not-found", or "conflict" when expectedRevision is given and differs. */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /** Events for keys with `prefix` with revision > afterRevision, in revision order, until `signal` aborts.
   *  Throws (or the iterator throws) StorageError "compacted" when afterRevision is older than history kept. */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<BackendEvent>;
  currentRevision(): Promise<number>;
  /** Optional: forget history at or below `revision` (etcd Compact). Watches and lists from
   *  revisions below it then throw "compacted". The conformance suite tests compaction with it. */
  compact?(revision: number): Promise<void>;
  close(): Promise<void>;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent<T extends ApiObject = ApiObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

export interface StoreListOptions {
  readonly namespace?: string;
  readonly limit?: number;
  /** Opaque continue token from a previous page. */
  readonly continue?: string;
  /** Keep only matching objects (label/field selectors are applied by the caller's predicate). */
  readonly filter?: (obj: ApiObject) => boolean;
  /** kube list semantics: unset/""/"0" or NotOlderThan = latest; "N" with match "Exact" = the
   *  snapshot at revision N (StorageError "compacted" when too old). */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: "Exact" | "NotOlderThan";
}

/** A source of ticks (an interval in production, a manual trigger in tests: time is a parameter). */
export interface Ticker {
  /** Calls `listener` on every tick until the returned function is called. */
  subscribe(listener: () => void): () => void;
}

export interface StoreWatchOptions {
  readonly namespace?: string;
  /** "" or "0" = the current state as ADDED events first, then changes; "N" = changes after N. */
  readonly resourceVersion?: string;
  readonly signal: AbortSignal;
  /** Keep only matching objects. An object that stops matching arrives as DELETED and one that
   *  starts matching as ADDED, as kube's filtered watch does. */
  readonly filter?: (obj: ApiObject) => boolean;
  /** On each tick emit a BOOKMARK whose object carries only metadata.resourceVersion: the newest
   *  revision this watch has delivered (resuming from it misses nothing). allowWatchBookmarks. */
  readonly bookmarks?: Ticker;
}

export interface StoreList<T extends ApiObject> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/** Typed storage for one resource (one key prefix). resourceVersion is the backend's revision. */
export interface StoreGetOptions {
  /** kube's GET resourceVersion: ""/unset = the latest; "0" = any; "N" = not older than N. */
  readonly resourceVersion?: string;
}

export interface Store<T extends ApiObject = ApiObject> {
  get(namespace: string, name: string, options?: StoreGetOptions): Promise<T | undefined>;
  list(options?: StoreListOptions): Promise<StoreList<T>>;
  /** Sets resourceVersion; throws StorageError "exists". */
  create(obj: T): Promise<T>;
  /** CAS on obj.metadata.resourceVersion; throws "conflict" / "not-found". */
  update(obj: T): Promise<T>;
  /** Read-modify-write with retry on conflict; `mutate` returns the new object or undefined for no change. */
  guaranteedUpdate(namespace: string, name: string, mutate: (current: T) => T | undefined | Promise<T | undefined>): Promise<T>;
  delete(namespace: string, name: string, expectedResourceVersion?: string): Promise<T>;
  /** Events after resourceVersion (""/"0" = current state as ADDED first, then changes). */
  watch(options: StoreWatchOptions): AsyncIterable<WatchEvent<T>>;
}
