// Server-side apply's field removal, simplified: FieldsV1 sets record each manager's fields ("f:<key>",
// lists as leaves). When a manager applies again, the fields it applied last time but not now are
// removed from the object — unless another manager's set also holds them (shared ownership keeps a
// field, as in kube). Conflicts between managers are not detected (`force` is accepted and ignored).
import { isObject, type JsonValue } from "./patch.ts";

type Set = { [k: string]: JsonValue };

/** Leaf paths of a FieldsV1 set: ["spec", "replicas"], ["metadata", "labels", "app"], … */
export function leafPaths(set: unknown, prefix: readonly string[] = []): string[][] {
  if (!isObject(set)) return [];
  const out: string[][] = [];
  for (const [k, v] of Object.entries(set)) {
    if (!k.startsWith("f:")) continue;
    const path = [...prefix, k.slice(2)];
    if (isObject(v) && Object.keys(v).some((x) => x.startsWith("f:"))) out.push(...leafPaths(v, path));
    else out.push(path);
  }
  return out;
}

/** True when `set` owns `path`, something inside it, or a parent of it as a leaf. */
export function setTouches(set: unknown, path: readonly string[]): boolean {
  let cur: unknown = set;
  for (const seg of path) {
    if (!isObject(cur)) return false;
    const next = (cur as Set)[`f:${seg}`];
    if (next === undefined) return false;
    if (isObject(next) && !Object.keys(next).some((x) => x.startsWith("f:"))) return true; // a leaf: owns the subtree
    cur = next;
  }
  return true;
}

function deletePath(obj: unknown, path: readonly string[]): void {
  let cur: unknown = obj;
  for (const seg of path.slice(0, -1)) {
    if (!isObject(cur)) return;
    cur = (cur as Set)[seg];
  }
  const last = path[path.length - 1];
  if (isObject(cur) && last !== undefined) delete (cur as Set)[last];
}

/** Removes from `obj` what the previous apply set held, the new one does not, and nobody else holds. */
export function pruneUnappliedFields(obj: unknown, previous: unknown, next: unknown, others: readonly unknown[]): void {
  for (const path of leafPaths(previous)) {
    if (setTouches(next, path)) continue;
    if (others.some((o) => setTouches(o, path))) continue;
    deletePath(obj, path);
  }
}
