// Object ↔ bytes for Store<T>: JSON, with metadata.resourceVersion never stored (it is the
// backend's modRevision, set on the way out — as kube's etcd3 store does with its versioner).
import type { RandomSource } from "../base/index.ts";
import type { ApiObject } from "../api/index.ts";
import { StorageError } from "./types.ts";
import type { KeyValue } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeObject(obj: ApiObject): Uint8Array {
  if (obj.metadata.resourceVersion === undefined) return encoder.encode(JSON.stringify(obj));
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return encoder.encode(JSON.stringify({ ...obj, metadata }));
}

/** Decodes stored bytes; `revision` becomes metadata.resourceVersion. */
export function decodeObject<T extends ApiObject>(kv: KeyValue, revision: number = kv.modRevision): T {
  let obj: unknown;
  try {
    obj = JSON.parse(decoder.decode(kv.value));
  } catch (err) {
    throw new StorageError("corrupt", `stored object at "${kv.key}" is not valid JSON`, { cause: err });
  }
  if (typeof obj !== "object" || obj === null || typeof (obj as { metadata?: unknown }).metadata !== "object") {
    throw new StorageError("corrupt", `stored object at "${kv.key}" has no metadata`);
  }
  (obj as ApiObject).metadata.resourceVersion = String(revision);
  return obj as T;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A resourceVersion from a client → revision; "" / undefined → undefined. */
export function parseResourceVersion(rv: string | undefined, what = "resourceVersion"): number | undefined {
  if (rv === undefined || rv === "") return undefined;
  if (!/^\d{1,15}$/.test(rv)) throw new StorageError("invalid", `invalid ${what} "${rv}": must be a non-negative integer`);
  return Number(rv);
}

/** RFC 4122 §4.4 version-4 UUID from the injected random source. */
export function randomUuid(random: RandomSource): string {
  const b = random.bytes(16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** metav1.Time is RFC 3339 with second precision: "2024-05-01T12:00:00Z". */
export function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** "/registry/<group or core>/<resource>/" — kube's etcd layout (core group named "core" here). */
export function resourcePrefix(group: string, resource: string, root = "/registry"): string {
  return `${root}/${group === "" ? "core" : group}/${resource}/`;
}
