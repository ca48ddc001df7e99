// Field sets as server-side apply keeps them (sigs.k8s.io/structured-merge-diff fieldpath + typed):
// a path is a list of FieldsV1 elements — "f:<key>" for a map key, `k:{"name":"nginx"}` for an item of
// an associative list, `v:"x"` for an item of a set list. kube reads list types from the OpenAPI schema
// (x-kubernetes-list-type); here they come from smp.ts' MERGE_KEYS table: a keyed field is a map list
// (ports keyed by containerPort|port + protocol, protocol defaulting to "TCP" as in the schema), "" a
// set, anything else atomic (one leaf). Every map is granular (no x-kubernetes-map-type: atomic).
import { isObject, type JsonValue } from "./patch.ts";
import { MERGE_KEYS } from "./smp.ts";

export type FieldPath = readonly string[];
type JsonObject = { [k: string]: JsonValue };

/** A set of paths (fieldpath.Set); paths compare by value. */
export class FieldSet {
  private readonly members = new Map<string, FieldPath>();
  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.insert(p);
  }
  insert(p: FieldPath): void {
    this.members.set(JSON.stringify(p), p);
  }
  has(p: FieldPath): boolean {
    return this.members.has(JSON.stringify(p));
  }
  get size(): number {
    return this.members.size;
  }
  paths(): FieldPath[] {
    return [...this.members.values()];
  }
  union(o: FieldSet): FieldSet {
    return new FieldSet([...this.paths(), ...o.paths()]);
  }
  difference(o: FieldSet): FieldSet {
    return this.filter((p) => !o.has(p));
  }
  intersection(o: FieldSet): FieldSet {
    return this.filter((p) => o.has(p));
  }
  filter(keep: (p: FieldPath) => boolean): FieldSet {
    return new FieldSet(this.paths().filter(keep));
  }
  equals(o: FieldSet): boolean {
    return this.size === o.size && this.paths().every((p) => o.has(p));
  }
  /** True when a member is `p` or lies below it. */
  coversOrBelow(p: FieldPath): boolean {
    return this.paths().some((q) => q.length >= p.length && p.every((e, i) => q[i] === e));
  }
  /** fieldpath.Set iteration order: at each node its members first, then its children, each by element. */
  sorted(): FieldPath[] {
    return this.paths().sort(comparePaths);
  }
}

const KIND_RANK: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

/** PathElement.Compare: field names < keys < values < indexes; within a kind by text (byte order). */
function compareElements(a: string, b: string): number {
  const r = (KIND_RANK[a[0] ?? ""] ?? 9) - (KIND_RANK[b[0] ?? ""] ?? 9);
  if (r !== 0) return r;
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let i = 0; ; i++) {
    const aLeaf = i === a.length - 1;
    const bLeaf = i === b.length - 1;
    if (aLeaf !== bLeaf) return aLeaf ? -1 : 1;
    const c = compareElements(a[i] ?? "", b[i] ?? "");
    if (c !== 0 || aLeaf) return c;
  }
}

// ---- FieldsV1 (de)serialization ------------------------------------------------------------------

/** FieldsV1 JSON → set; undefined when it is not a FieldsV1 document (a decode error in kube). */
export function fieldSetFromV1(v: unknown): FieldSet | undefined {
  const out = new FieldSet();
  const walk = (node: unknown, prefix: string[]): boolean => {
    if (!isObject(node)) return false;
    for (const [k, child] of Object.entries(node)) {
      if (k === ".") {
        if (prefix.length > 0) out.insert(prefix);
        continue;
      }
      if (!/^[fkvi]:/.test(k)) return false;
      const p = [...prefix, k];
      if (isObject(child) && Object.keys(child).length > 0) {
        if (!walk(child, p)) return false;
      } else out.insert(p);
    }
    return true;
  };
  return walk(v, []) ? out : undefined;
}

interface Node {
  member: boolean;
  children: Map<string, Node>;
}

/** Set → FieldsV1: a member with children carries ".", a childless member is {} (kube's serializer). */
export function fieldSetToV1(set: FieldSet): JsonObject {
  const root: Node = { member: false, children: new Map() };
  for (const p of set.paths()) {
    let n = root;
    for (const e of p) {
      let c = n.children.get(e);
      if (c === undefined) n.children.set(e, (c = { member: false, children: new Map() }));
      n = c;
    }
    n.member = true;
  }
  const out = (n: Node): JsonObject => {
    const o: JsonObject = n.member && n.children.size > 0 ? { ".": {} } : {};
    for (const k of [...n.children.keys()].sort(compareElements)) o[k] = out(n.children.get(k) as Node);
    return o;
  };
  return out(root);
}

/** fieldpath.Path.String(): `.data.a`, `.spec.containers[name="nginx"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(p: FieldPath): string {
  return p
    .map((e) => {
      const body = e.slice(2);
      if (e.startsWith("f:")) return `.${body}`;
      if (e.startsWith("v:")) return `[=${body}]`;
      if (e.startsWith("i:")) return `[${body}]`;
      const key = JSON.parse(body) as JsonObject;
      return `[${Object.entries(key).map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(",")}]`;
    })
    .join("");
}

// ---- list types ----------------------------------------------------------------------------------

type ListKind = { readonly kind: "atomic" } | { readonly kind: "set" } | { readonly kind: "map"; readonly keys: readonly string[]; readonly defaults: JsonObject };

function listKindFor(field: string, items: readonly JsonValue[]): ListKind {
  if (field === "ports") {
    const first = items.some((i) => isObject(i) && "containerPort" in i) ? "containerPort" : "port";
    return { kind: "map", keys: [first, "protocol"], defaults: { protocol: "TCP" } };
  }
  const key = MERGE_KEYS[field];
  if (key === undefined) return { kind: "atomic" };
  return key === "" ? { kind: "set" } : { kind: "map", keys: [key], defaults: {} };
}

/** Item → path element, or undefined when the item cannot be keyed (kube errors; we fall back to atomic). */
function itemElement(kind: ListKind, item: JsonValue): string | undefined {
  if (kind.kind === "set") return isObject(item) || Array.isArray(item) ? undefined : `v:${JSON.stringify(item)}`;
  if (kind.kind !== "map" || !isObject(item)) return undefined;
  const key: JsonObject = {};
  for (const k of [...kind.keys].sort()) {
    const v = item[k] ?? kind.defaults[k];
    if (v === undefined || isObject(v) || Array.isArray(v)) return undefined;
    key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}

/** The list's items by element; undefined when it must be treated as atomic (untyped or duplicate keys). */
function keyedItems(field: string, list: readonly JsonValue[], kind = listKindFor(field, list)): Map<string, JsonValue> | undefined {
  if (kind.kind === "atomic") return undefined;
  const out = new Map<string, JsonValue>();
  for (const item of list) {
    const e = itemElement(kind, item);
    if (e === undefined || out.has(e)) return undefined;
    out.set(e, item);
  }
  return out;
}

// ---- ToFieldSet and Compare ----------------------------------------------------------------------

/** typed.ToFieldSet of an apply configuration: leaves, atomic lists, and list items (with ".");
 *  maps the configuration merely names are not members. Nulls are deletions, not fields. */
export function fieldSetOf(config: JsonValue): FieldSet {
  const out = new FieldSet();
  const walk = (v: JsonValue, p: string[], field: string): void => {
    if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) if (x !== null && !k.startsWith("$")) walk(x, [...p, `f:${k}`], k);
      return;
    }
    if (Array.isArray(v)) {
      const items = keyedItems(field, v);
      if (items === undefined) return out.insert(p);
      for (const [e, item] of items) {
        out.insert([...p, e]);
        if (isObject(item)) walk(item, [...p, e], "");
      }
      return;
    }
    out.insert(p);
  };
  if (isObject(config)) walk(config, [], "");
  return out;
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** typed.Compare: leaves added/modified/removed, plus maps, lists and list items that appeared or went
 *  (as their own path: the "." of an Update set). Empty-vs-absent maps and lists compare as leaves. */
export function compareObjects(live: JsonValue | undefined, next: JsonValue | undefined): Comparison {
  const c = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(c, [], "", live ?? {}, next ?? {});
  return c;
}

type Mutable = { added: FieldSet; modified: FieldSet; removed: FieldSet };

function isEmptyNode(v: JsonValue | undefined): boolean {
  return v === undefined || (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

function shapeOf(v: JsonValue | undefined): "none" | "map" | "list" | "leaf" {
  return v === undefined ? "none" : isObject(v) ? "map" : Array.isArray(v) ? "list" : "leaf";
}

function compareAt(c: Mutable, p: string[], field: string, l: JsonValue | undefined, r: JsonValue | undefined): void {
  const ls = shapeOf(l);
  const rs = shapeOf(r);
  const both = (s: string): boolean => (ls === s || ls === "none") && (rs === s || rs === "none");
  if (!(isEmptyNode(l) && isEmptyNode(r))) {
    if (both("map")) return compareMaps(c, p, isObject(l) ? l : undefined, isObject(r) ? r : undefined);
    if (both("list")) {
      const lItems = Array.isArray(l) ? l : [];
      const rItems = Array.isArray(r) ? r : [];
      const kind = listKindFor(field, [...lItems, ...rItems]);
      const li = keyedItems(field, lItems, kind);
      const ri = keyedItems(field, rItems, kind);
      if (li !== undefined && ri !== undefined) return compareLists(c, p, li, ri, l === undefined, r === undefined);
    } else if (ls !== "none" && rs !== "none" && ls !== rs) {
      // A map became a scalar (or the reverse): each side's paths, as smd walks each atom.
      compareAt(c, p, field, l, undefined);
      compareAt(c, p, field, undefined, r);
      return;
    }
  }
  if (p.length === 0) return;
  if (l === undefined && r !== undefined) c.added.insert(p);
  else if (l !== undefined && r === undefined) c.removed.insert(p);
  else if (!deepEqual(l, r)) c.modified.insert(p);
}

/** value.Equals: maps compare regardless of key order. */
function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  return a === b;
}

function compareMaps(c: Mutable, p: string[], l: JsonObject | undefined, r: JsonObject | undefined): void {
  const keys = new Set([...Object.keys(l ?? {}), ...Object.keys(r ?? {})]);
  for (const k of keys) compareAt(c, [...p, `f:${k}`], k, l?.[k], r?.[k]);
  markNode(c, p, l === undefined, r === undefined);
}

function compareLists(c: Mutable, p: string[], l: Map<string, JsonValue>, r: Map<string, JsonValue>, lGone: boolean, rGone: boolean): void {
  for (const e of new Set([...l.keys(), ...r.keys()])) {
    const li = l.get(e);
    const ri = r.get(e);
    const q = [...p, e];
    if (e.startsWith("v:")) compareAt(c, q, "", li, ri);
    else compareMaps(c, q, isObject(li) ? li : undefined, isObject(ri) ? ri : undefined);
  }
  markNode(c, p, lGone, rGone);
}

function markNode(c: Mutable, p: string[], lGone: boolean, rGone: boolean): void {
  if (p.length === 0) return;
  if (lGone && !rGone) c.added.insert(p);
  else if (rGone && !lGone) c.removed.insert(p);
}

// ---- removing a path from an object ----------------------------------------------------------------

/** Deletes the value at `p` (a map key or a list item) from `root` in place. */
export function removePath(root: JsonValue, p: FieldPath): void {
  let cur: JsonValue | undefined = root;
  let field = "";
  for (let i = 0; i < p.length; i++) {
    const e = p[i] ?? "";
    const last = i === p.length - 1;
    if (e.startsWith("f:") && isObject(cur)) {
      if (last) delete cur[e.slice(2)];
      else cur = cur[e.slice(2)];
      field = e.slice(2);
    } else if (Array.isArray(cur)) {
      const list: JsonValue[] = cur;
      const kind = listKindFor(field, list);
      const idx = list.findIndex((item) => itemElement(kind, item) === e);
      if (idx < 0) return;
      if (last) list.splice(idx, 1);
      else cur = list[idx];
    } else return;
  }
}
