// Strategic merge patch (apimachinery/pkg/util/strategicpatch) for the kinds kpki serves. kube reads
// the merge strategy from Go struct tags; here it is a table keyed by field name (the served kinds use
// each name with one meaning, except `ports`, whose key is containerPort in a container and port in a
// Service). Lists not in the table are atomic (replaced), as for Role.rules and RoleBinding.subjects.
import { ApiError } from "./errors.ts";
import { clone, isObject, type JsonValue } from "./patch.ts";

type JsonObject = { [k: string]: JsonValue };

/** patchMergeKey per list field name; "" = a primitive list merged as a set (finalizers). */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  env: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  hostAliases: "ip",
  conditions: "type",
  ownerReferences: "uid",
  secrets: "name",
  addresses: "type",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
  finalizers: "",
};

function mergeKeyFor(field: string, items: readonly JsonValue[]): string | undefined {
  if (field === "ports") return items.some((i) => isObject(i) && "containerPort" in i) ? "containerPort" : "port";
  return MERGE_KEYS[field];
}

const SET_ORDER = "$setElementOrder/";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList/";

function badPatch(msg: string): ApiError {
  return new ApiError("BadRequest", msg);
}

/** Applies a strategic merge patch document to `original` (both plain JSON). */
export function applyStrategicMergePatch(original: unknown, patch: unknown): JsonValue {
  if (!isObject(patch)) throw badPatch("invalid JSON document");
  return mergeMap(isObject(original) ? clone(original) : {}, patch, { deletions: true });
}

interface MergeOptions {
  /** false for server-side apply's pragmatic merge: nulls and $patch directives still apply, nothing else is removed. */
  deletions: boolean;
}

function mergeMap(orig: JsonObject, patch: JsonObject, opts: MergeOptions): JsonObject {
  const directive = patch.$patch;
  if (directive === "replace") return stripDirectives(patch);
  if (directive === "delete") return {};
  let out = orig;
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k) || k in patch));
  }
  const orders: [string, JsonValue[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys") continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) {
        const drop = new Set(v.map((x) => JSON.stringify(x)));
        out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    out[k] = mergeValue(k, out[k], v, opts);
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = applyOrder(field, cur, order);
  }
  return out;
}

function mergeValue(field: string, cur: JsonValue | undefined, v: JsonValue, opts: MergeOptions): JsonValue {
  if (isObject(v)) return isObject(cur) ? mergeMap(cur, v, opts) : stripDirectives(v);
  if (Array.isArray(v)) {
    const key = mergeKeyFor(field, [...(Array.isArray(cur) ? cur : []), ...v]);
    if (key === undefined) return stripList(v);
    return mergeList(Array.isArray(cur) ? cur : [], v, key, opts);
  }
  return v;
}

function stripDirectives(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith("$")) continue;
    out[k] = isObject(v) ? stripDirectives(v) : Array.isArray(v) ? stripList(v) : v;
  }
  return out;
}

function stripList(list: JsonValue[]): JsonValue[] {
  return list.filter((i) => !(isObject(i) && typeof i.$patch === "string")).map((i) => (isObject(i) ? stripDirectives(i) : i));
}

/** mergeSlice: `{"$patch":"replace"}` element replaces the list; `{"$patch":"delete", key}` removes. */
function mergeList(orig: JsonValue[], patch: JsonValue[], key: string, opts: MergeOptions): JsonValue[] {
  if (patch.some((i) => isObject(i) && i.$patch === "replace")) return stripList(patch);
  if (key === "") {
    const seen = new Set(orig.map((x) => JSON.stringify(x)));
    return [...orig, ...patch.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  const out = [...orig];
  for (const item of patch) {
    if (!isObject(item)) throw badPatch(`unable to find api field in struct for the merge key "${key}"`);
    const idx = out.findIndex((o) => isObject(o) && JSON.stringify(o[key]) === JSON.stringify(item[key]));
    if (item.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    const current = idx >= 0 ? out[idx] : undefined;
    if (isObject(current)) out[idx] = mergeMap(current, item, opts);
    else out.push(stripDirectives(item));
  }
  return out;
}

/** $setElementOrder: listed elements first in the given order, the rest after in their order. */
function applyOrder(field: string, list: JsonValue[], order: JsonValue[]): JsonValue[] {
  const key = mergeKeyFor(field, list) ?? "";
  const id = (v: JsonValue): string => JSON.stringify(key !== "" && isObject(v) ? v[key] : v);
  const orderIds = order.map(id);
  const rank = (v: JsonValue): number => {
    const i = orderIds.indexOf(id(v));
    return i < 0 ? orderIds.length : i;
  };
  return list.map((v, i) => ({ v, i })).sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i).map((x) => x.v);
}

/** Server-side apply's merge: the applied configuration is merged into the live object with
 *  strategic-merge rules, keeping every live field it does not name (other managers' fields). Removing
 *  what the applier no longer names, and conflicts, are api/apply.ts applyManagedFields' job. */
export function applyConfiguration(live: unknown, applied: unknown): JsonValue {
  if (!isObject(applied)) throw badPatch("invalid apply configuration: expected an object");
  return mergeMap(isObject(live) ? clone(live) : {}, applied, { deletions: false });
}
