// The revoked certificates every API server replica refuses: an in-memory set filled by a list of
// /kpki/revoked/ at start and kept current by the backend's watch (an informer, as rbac-feed's), so a
// revocation written on one replica reaches the others through etcd within a watch round trip.
// Checked on every request, so the lookup is two Set probes; the issuer hash is computed only when
// the serial is listed at all (and memoised per issuer DER).
import type { StorageBackend } from "../storage/index.ts";
import { StorageError } from "../storage/index.ts";
import { REVOKED_PREFIX, decodeRevocation, issuerId, listRevocations, parseRevocationKey } from "./revocation.ts";

/** What a request's certificate is checked with (Certificate satisfies it). */
export interface RevocationSubject {
  readonly serialHex: string;
  readonly issuerDer: Uint8Array;
}

export interface RevocationSet {
  isRevoked(cert: RevocationSubject): boolean;
  /** The replica that wrote a revocation refuses the certificate at once, before its watch event arrives. */
  add(issuerId: string, serial: string): void;
  readonly size: number;
}

export interface RevocationFeedOptions {
  readonly log: (line: string) => void;
  /** Resolves after `ms` (a parameter so tests need not wait); default a timer. */
  readonly wait?: (ms: number) => Promise<void>;
}

class MemoryRevocationSet implements RevocationSet {
  private keys = new Set<string>();
  private serials = new Map<string, number>();
  private readonly ids = new WeakMap<Uint8Array, string>();

  get size(): number {
    return this.keys.size;
  }

  isRevoked(cert: RevocationSubject): boolean {
    if (!this.serials.has(cert.serialHex)) return false;
    let id = this.ids.get(cert.issuerDer);
    if (id === undefined) {
      id = issuerId(cert.issuerDer);
      this.ids.set(cert.issuerDer, id);
    }
    return this.keys.has(`${id}/${cert.serialHex}`);
  }

  replace(entries: readonly { issuerId: string; serial: string }[]): void {
    this.keys = new Set();
    this.serials = new Map();
    for (const e of entries) this.add(e.issuerId, e.serial);
  }

  add(id: string, serial: string): void {
    const key = `${id}/${serial}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.serials.set(serial, (this.serials.get(serial) ?? 0) + 1);
  }

  /** Records are permanent; a delete only happens by hand in storage (an operator's undo). */
  remove(id: string, serial: string): void {
    if (!this.keys.delete(`${id}/${serial}`)) return;
    const n = (this.serials.get(serial) ?? 1) - 1;
    if (n === 0) this.serials.delete(serial);
    else this.serials.set(serial, n);
  }
}

const timer = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

async function follow(backend: StorageBackend, set: MemoryRevocationSet, revision: number, signal: AbortSignal): Promise<void> {
  for await (const ev of backend.watch(REVOKED_PREFIX, revision, signal)) {
    if (ev.type === "put") {
      const r = decodeRevocation(ev.kv.key, ev.kv.value);
      if (r !== undefined) set.add(r.issuerId, r.serial);
    } else {
      const k = parseRevocationKey(ev.key);
      if (k !== undefined) set.remove(k.issuerId, k.serial);
    }
  }
}

/** Lists, then watches until `signal` aborts; on a watch failure (compaction, etcd away) relists.
 *  Resolves once the first list is in the set: a server must not serve before it knows what is
 *  revoked (fail closed), so a failing first list rejects and the start fails. */
export async function startRevocationSet(backend: StorageBackend, signal: AbortSignal, o: RevocationFeedOptions): Promise<RevocationSet> {
  const set = new MemoryRevocationSet();
  const wait = o.wait ?? timer;
  let { items, revision } = await listRevocations(backend);
  set.replace(items);
  void (async () => {
    while (!signal.aborted) {
      try {
        await follow(backend, set, revision, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof StorageError && err.code === "compacted")) o.log(`revocations: watch failed, relisting: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (signal.aborted) return;
      await wait(500);
      try {
        ({ items, revision } = await listRevocations(backend));
        set.replace(items);
      } catch (err) {
        o.log(`revocations: list failed (keeping the last known set): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })();
  return set;
}
