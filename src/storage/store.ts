// Store<T>: typed objects over a StorageBackend. Keys follow kube's etcd layout
// (/registry/<group or core>/<resource>/[<namespace>/]<name>); resourceVersion is the backend's
// modRevision; updates are compare-and-swap on it, so the same Store runs on memory, SQLite and etcd.
import { systemClock, systemRandom } from "../base/index.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import { groupResourceString } from "../api/index.ts";
import type { ApiObject } from "../api/index.ts";
import { StorageError } from "./types.ts";
import type { KeyValue, StorageBackend, Store, StoreGetOptions, StoreList, StoreListOptions, StoreWatchOptions, WatchEvent } from "./types.ts";
import { decodeObject, encodeObject, parseResourceVersion, randomUuid, resourcePrefix, rfc3339Seconds, sameBytes } from "./codec.ts";
import { listStore, tooNew } from "./store-list.ts";
import { watchStore } from "./store-watch.ts";

export interface StoreResource {
  readonly namespaced: boolean;
  readonly group?: string;
  readonly resource?: string;
  /** The full key prefix; default resourcePrefix(group, resource) = "/registry/<group|core>/<resource>/". */
  readonly prefix?: string;
  /** apiVersion and kind for BOOKMARK objects. */
  readonly apiVersion?: string;
  readonly kind?: string;
}

export interface StoreOptions {
  readonly clock?: Clock;
  readonly random?: RandomSource;
  /** guaranteedUpdate gives up with "conflict" after this many lost races (default 100). */
  readonly maxRetries?: number;
}

export function createStore<T extends ApiObject = ApiObject>(backend: StorageBackend, resource: StoreResource, options: StoreOptions = {}): Store<T> {
  return new BackendStore<T>(backend, resource, options);
}

class BackendStore<T extends ApiObject> implements Store<T> {
  readonly #backend: StorageBackend;
  readonly #prefix: string;
  readonly #namespaced: boolean;
  /** "pods", "deployments.apps": names the resource in kube's error messages. */
  readonly #what: string;
  readonly #resource: StoreResource;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #maxRetries: number;

  constructor(backend: StorageBackend, resource: StoreResource, options: StoreOptions) {
    if (resource.prefix === undefined && resource.resource === undefined) throw new TypeError("createStore: give a prefix or a resource");
    const prefix = resource.prefix ?? resourcePrefix(resource.group ?? "", resource.resource ?? "");
    this.#backend = backend;
    this.#prefix = prefix.endsWith("/") ? prefix : `${prefix}/`;
    this.#namespaced = resource.namespaced;
    this.#what = resource.resource !== undefined ? groupResourceString(resource.group ?? "", resource.resource) : this.#prefix;
    this.#resource = resource;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#maxRetries = options.maxRetries ?? 100;
  }

  /** resourceVersion as kube's GET: "" = the latest; "0" = any (a watch cache answers from memory);
   *  "N" = not older than N, and a store that has not reached N answers "too-new" (kube's 504). */
  async get(namespace: string, name: string, options: StoreGetOptions = {}): Promise<T | undefined> {
    const key = this.#key(namespace, name);
    const rv = parseResourceVersion(options.resourceVersion);
    const kv = await this.#backend.get(key, rv === undefined ? {} : { notOlderThan: rv });
    // An object at or past N proves the store reached N; otherwise ask (on etcd: one revision fetch).
    if (rv !== undefined && rv > 0 && (kv === undefined || kv.modRevision < rv)) await checkReached(this.#backend, rv);
    return kv === undefined ? undefined : decodeObject<T>(kv);
  }

  list(options: StoreListOptions = {}): Promise<StoreList<T>> {
    return listStore<T>(this.#backend, this.#scope(options.namespace), options);
  }

  async create(obj: T): Promise<T> {
    const name = obj.metadata.name ?? "";
    const key = this.#key(obj.metadata.namespace ?? "", name);
    // kube's FillObjectMetaSystemFields: the server owns uid and creationTimestamp.
    const metadata = { ...obj.metadata, uid: randomUuid(this.#random), creationTimestamp: rfc3339Seconds(this.#clock.now()), resourceVersion: undefined };
    if (!this.#namespaced) delete metadata.namespace;
    const stored = { ...obj, metadata } as T;
    const kv = await this.#wrap(name, () => this.#backend.create(key, encodeObject(stored)));
    return withRevision(stored, kv.modRevision);
  }

  async update(obj: T): Promise<T> {
    const name = obj.metadata.name ?? "";
    const expected = parseResourceVersion(obj.metadata.resourceVersion);
    const key = this.#key(obj.metadata.namespace ?? "", name);
    // No resourceVersion = unconditional: CAS against whatever is current, retrying lost races.
    const read = new UpdateRead(this.#backend, key);
    for (let attempt = 0; ; attempt++) {
      const cur = await read.next();
      if (cur === undefined || (expected !== undefined && cur.modRevision !== expected)) {
        if (read.mayBeStale) continue;
        throw cur === undefined ? this.#notFound(name) : this.#conflict(name);
      }
      const result = await this.#write(key, cur, obj, attempt, expected === undefined);
      if (result === "unchanged" && read.mayBeStale) continue;
      if (result !== undefined) return result === "unchanged" ? decodeObject<T>(cur) : result;
    }
  }

  async guaranteedUpdate(namespace: string, name: string, mutate: (current: T) => T | undefined | Promise<T | undefined>): Promise<T> {
    const key = this.#key(namespace, name);
    const read = new UpdateRead(this.#backend, key);
    for (let attempt = 0; ; attempt++) {
      const cur = await read.next();
      if (cur === undefined) {
        if (read.mayBeStale) continue;
        throw this.#notFound(name);
      }
      const next = await mutate(decodeObject<T>(cur));
      const result = next === undefined ? "unchanged" : await this.#write(key, cur, next, attempt, true);
      if (result === "unchanged" && read.mayBeStale) continue;
      if (result !== undefined) return result === "unchanged" ? decodeObject<T>(cur) : result;
    }
  }

  async delete(namespace: string, name: string, expectedResourceVersion?: string): Promise<T> {
    const expected = parseResourceVersion(expectedResourceVersion);
    const key = this.#key(namespace, name);
    const prev = await this.#wrap(name, () => this.#backend.delete(key, expected));
    return decodeObject<T>(prev);
  }

  watch(options: StoreWatchOptions): AsyncIterable<WatchEvent<T>> {
    const bookmark = (revision: number): T =>
      ({ apiVersion: this.#resource.apiVersion ?? "", kind: this.#resource.kind ?? "", metadata: { resourceVersion: String(revision) } }) as T;
    return watchStore<T>(this.#backend, this.#scope(options.namespace), options, bookmark);
  }

  /** One CAS write of `next` over `cur`; undefined = lost a race that the caller may retry;
   *  "unchanged" = nothing to write (the caller returns `cur`, once it knows `cur` is current). */
  async #write(key: string, cur: KeyValue, next: T, attempt: number, mayRetry: boolean): Promise<T | "unchanged" | undefined> {
    const name = next.metadata.name ?? "";
    if (next.metadata.uid === undefined || next.metadata.creationTimestamp === undefined) {
      // kube's BeforeUpdate keeps the system fields of the stored object.
      const { uid, creationTimestamp } = decodeObject<T>(cur).metadata;
      next = { ...next, metadata: { ...next.metadata, uid: next.metadata.uid ?? uid, creationTimestamp: next.metadata.creationTimestamp ?? creationTimestamp } };
    }
    if (!this.#namespaced && next.metadata.namespace !== undefined) next = { ...next, metadata: { ...next.metadata, namespace: undefined } };
    const bytes = encodeObject(next);
    // kube skips a write whose bytes equal the stored ones: a no-op update keeps its resourceVersion.
    if (sameBytes(bytes, cur.value)) return "unchanged";
    try {
      const kv = await this.#backend.update(key, bytes, cur.modRevision);
      return withRevision(next, kv.modRevision);
    } catch (err) {
      if (err instanceof StorageError && err.code === "not-found") throw this.#notFound(name);
      if (!(err instanceof StorageError && err.code === "conflict")) throw err;
      if (!mayRetry || attempt + 1 >= this.#maxRetries) throw this.#conflict(name);
      return undefined;
    }
  }

  async #wrap(name: string, op: () => Promise<KeyValue>): Promise<KeyValue> {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      if (err.code === "exists") throw new StorageError("exists", `${this.#what} "${name}" already exists`, { cause: err });
      if (err.code === "not-found") throw this.#notFound(name);
      if (err.code === "conflict") throw this.#conflict(name);
      throw err;
    }
  }

  // Messages are apimachinery's (errors.NewNotFound / NewConflict) so the registry can pass them on.
  #notFound(name: string): StorageError {
    return new StorageError("not-found", `${this.#what} "${name}" not found`);
  }

  #conflict(name: string): StorageError {
    return new StorageError(
      "conflict",
      `Operation cannot be fulfilled on ${this.#what} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  }

  #scope(namespace: string | undefined): string {
    return this.#namespaced && namespace ? `${this.#prefix}${checkSegment(namespace, "namespace")}/` : this.#prefix;
  }

  #key(namespace: string, name: string): string {
    checkSegment(name, "name");
    if (!this.#namespaced) return this.#prefix + name;
    if (namespace === "") throw new StorageError("invalid", `${this.#what} "${name}": namespace is required`);
    return `${this.#prefix}${checkSegment(namespace, "namespace")}/${name}`;
  }
}

/** kube's path.IsValidPathSegmentName: a name must be one key segment, never a path. */
function checkSegment(segment: string, what: string): string {
  if (segment === "" || segment === "." || segment === ".." || segment.includes("/") || segment.includes("%")) {
    throw new StorageError("invalid", `${what} "${segment}" may not be empty, "." or "..", nor contain "/" or "%"`);
  }
  return segment;
}

async function checkReached(backend: StorageBackend, wanted: number): Promise<void> {
  const current = await backend.currentRevision();
  if (wanted > current) throw tooNew(wanted, current);
}

/**
 * The reads of one update, as kube's GuaranteedUpdate with the watch cache's object as its first
 * guess: the first read may be stale (a cache answers from memory, no etcd round trip); the write is
 * compare-and-swap on its revision, so a stale guess can only fail and be retried. An answer that
 * rests on the guess — not found, a resourceVersion mismatch, nothing to change — is confirmed by
 * a consistent read before it is returned.
 */
class UpdateRead {
  readonly #backend: StorageBackend;
  readonly #key: string;
  #reads = 0;

  constructor(backend: StorageBackend, key: string) {
    this.#backend = backend;
    this.#key = key;
  }

  /** True when the last value came from the first, possibly stale, read. */
  get mayBeStale(): boolean {
    return this.#reads === 1;
  }

  next(): Promise<KeyValue | undefined> {
    return this.#backend.get(this.#key, this.#reads++ === 0 ? ANY_REVISION : {});
  }
}

const ANY_REVISION = { notOlderThan: 0 } as const;

function withRevision<T extends ApiObject>(obj: T, revision: number): T {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}
