// The SQLite backend, kpki's embedded default: etcd semantics in one file. WAL + synchronous=FULL
// so a write is on disk before it is acknowledged (survives kill -9); every write is one
// transaction; watches are served in-process from the event log (this backend has one process).
// An exclusive lock (locking_mode=EXCLUSIVE) keeps a second kpki process out of the same file.
import Database from "better-sqlite3";
import { StorageError } from "../types.ts";
import type { BackendEvent, KeyValue, ListOptions, ListResult, StorageBackend } from "../types.ts";
import { checkNotCompacted, pairsAtRevision } from "../history.ts";
import { WatchHub } from "../watch-hub.ts";
import { SCHEMA, eventOf, eventParams, pairOf, prefixEnd } from "./schema.ts";
import type { EventRow, KvRow } from "./schema.ts";

export interface SqliteBackendOptions {
  /** Events kept for watches and snapshot lists (default 10 000); older revisions are "compacted". */
  readonly historyLimit?: number;
  /** How long to wait for another process's lock before failing (default 250 ms). */
  readonly lockTimeoutMs?: number;
}

export function openSqliteBackend(path: string, options: SqliteBackendOptions = {}): StorageBackend {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: options.lockTimeoutMs ?? 250 });
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    // Take the write lock now (and keep it: exclusive mode) so a second server fails at open, not later.
    db.exec(`BEGIN EXCLUSIVE; ${SCHEMA} COMMIT;`);
    return new SqliteBackend(db, path, Math.max(1, options.historyLimit ?? 10_000));
  } catch (err) {
    db?.close();
    const code = (err as { code?: unknown }).code;
    if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
      throw new StorageError("unavailable", `cannot open database "${path}": it is in use by another kpki server (only one may open it)`, { cause: err });
    }
    throw new StorageError("unavailable", `cannot open database "${path}": ${(err as Error).message}`, { cause: err });
  }
}

const blob = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

class SqliteBackend implements StorageBackend {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #limit: number;
  readonly #hub: WatchHub;
  #revision: number;
  #compacted: number;
  #closed = false;
  readonly #sql;

  constructor(db: Database.Database, path: string, limit: number) {
    this.#db = db;
    this.#path = path;
    this.#limit = limit;
    this.#hub = new WatchHub(limit);
    this.#sql = {
      get: db.prepare<[string], KvRow>("SELECT key, value, create_rev, mod_rev FROM kv WHERE key = ?"),
      rangeFrom: db.prepare<[string, string, number], KvRow>("SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"),
      rangeAfter: db.prepare<[string, string, number], KvRow>("SELECT key, value, create_rev, mod_rev FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?"),
      insert: db.prepare("INSERT INTO kv(key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)"),
      update: db.prepare("UPDATE kv SET value = ?, mod_rev = ? WHERE key = ?"),
      remove: db.prepare("DELETE FROM kv WHERE key = ?"),
      event: db.prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      eventsAfter: db.prepare<[number, string, string], EventRow>("SELECT * FROM events WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev"),
      trim: db.prepare("DELETE FROM events WHERE rev <= ?"),
      setMeta: db.prepare("UPDATE meta SET value = ? WHERE name = ?"),
      meta: db.prepare<[string], { value: number }>("SELECT value FROM meta WHERE name = ?"),
    };
    this.#revision = this.#sql.meta.get("revision")?.value ?? 0;
    this.#compacted = this.#sql.meta.get("compacted")?.value ?? 0;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#checkOpen();
    const row = this.#sql.get.get(key);
    return row === undefined ? undefined : pairOf(row);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const { startAfter, limit, revision } = options;
    const end = prefixEnd(prefix);
    const after = startAfter !== undefined && startAfter >= prefix;
    const range = (n: number): KvRow[] => (after ? this.#sql.rangeAfter : this.#sql.rangeFrom).all(after ? startAfter : prefix, end, n);
    const limited = limit !== undefined && limit > 0;
    if (revision === undefined || revision >= this.#revision) {
      const rows = range(limited ? limit + 1 : -1);
      const more = limited && rows.length > limit;
      return { items: (more ? rows.slice(0, limit) : rows).map(pairOf), revision: this.#revision, more };
    }
    checkNotCompacted(revision, this.#compacted, `list "${prefix}"`);
    const later = this.#sql.eventsAfter.all(revision, prefix, end).map(eventOf);
    // Each later event removes or adds at most one key, so limit+1+later rows of today's
    // table always hold the first limit+1 keys of the snapshot.
    const current = range(limited ? limit + 1 + later.length : -1).map(pairOf);
    return { ...pairsAtRevision(current, later, startAfter, limit), revision };
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.#checkOpen();
    return this.#write((rev) => {
      if (this.#sql.get.get(key) !== undefined) throw new StorageError("exists", `key "${key}" already exists`);
      this.#sql.insert.run(key, blob(value), rev, rev);
      const kv: KeyValue = { key, value: new Uint8Array(value), createRevision: rev, modRevision: rev };
      return { result: kv, event: { type: "put", kv } };
    });
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    this.#checkOpen();
    return this.#write((rev) => {
      const prev = this.#expect(key, expectedRevision);
      this.#sql.update.run(blob(value), rev, key);
      const kv: KeyValue = { key, value: new Uint8Array(value), createRevision: prev.createRevision, modRevision: rev };
      return { result: kv, event: { type: "put", kv, prev } };
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    return this.#write((rev) => {
      const prev = this.#expect(key, expectedRevision);
      this.#sql.remove.run(key);
      return { result: prev, event: { type: "delete", key, revision: rev, prev } };
    });
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<BackendEvent> {
    return this.#hub.watch(prefix, afterRevision, signal, () => {
      this.#checkOpen();
      checkNotCompacted(afterRevision, this.#compacted, `watch "${prefix}"`);
      return this.#sql.eventsAfter.all(afterRevision, prefix, prefixEnd(prefix)).map(eventOf);
    });
  }

  async currentRevision(): Promise<number> {
    this.#checkOpen();
    return this.#revision;
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    const upTo = Math.min(revision, this.#revision);
    if (upTo <= this.#compacted) return;
    this.#db.transaction(() => this.#trim(upTo))();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.close();
    this.#db.close();
  }

  /** One transaction: next revision, the change, its event, the meta row, history trimming.
   *  Watchers hear of it only after COMMIT returned, i.e. once it is durable. */
  #write(change: (rev: number) => { result: KeyValue; event: BackendEvent }): KeyValue {
    const rev = this.#revision + 1;
    const compacted = this.#compacted;
    let done: { result: KeyValue; event: BackendEvent };
    try {
      done = this.#db.transaction(() => {
        const out = change(rev);
        this.#sql.event.run(...eventParams(out.event).map((v) => (v instanceof Uint8Array ? blob(v) : v)));
        this.#sql.setMeta.run(rev, "revision");
        // Trim in batches (every `limit` writes) so a write does not pay a delete each time.
        if (rev - this.#compacted >= 2 * this.#limit) this.#trim(rev - this.#limit);
        return out;
      })();
    } catch (err) {
      this.#compacted = compacted;
      if (err instanceof StorageError) throw err;
      throw new StorageError("unavailable", `write to "${this.#path}" failed: ${(err as Error).message}`, { cause: err });
    }
    this.#revision = rev;
    this.#hub.publish(done.event);
    return done.result;
  }

  #trim(upTo: number): void {
    this.#sql.trim.run(upTo);
    this.#sql.setMeta.run(upTo, "compacted");
    this.#compacted = upTo;
  }

  #expect(key: string, expectedRevision: number | undefined): KeyValue {
    const row = this.#sql.get.get(key);
    if (row === undefined) throw new StorageError("not-found", `key "${key}" not found`);
    if (expectedRevision !== undefined && row.mod_rev !== expectedRevision) {
      throw new StorageError("conflict", `key "${key}" is at revision ${row.mod_rev}, not ${expectedRevision}`);
    }
    return pairOf(row);
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError("unavailable", `database "${this.#path}" is closed`);
  }
}
