// metadata.managedFields as kube keeps them (k8s.io/apimachinery/pkg/util/managedfields/internal +
// structured-merge-diff merge.Updater): decoding/encoding the entries, the fields no manager owns
// (stripMeta + the strategy's reset fields), and the attribution of an Update (create, PUT, JSON/merge/
// strategic PATCH). Apply and its conflicts are in apply.ts. Pure: time comes in the request.
import { compareObjects, fieldSetFromV1, fieldSetToV1, type FieldPath, FieldSet } from "./field-sets.ts";
import type { ManagedFieldsEntry } from "./meta.ts";
import { isObject, type JsonValue } from "./patch.ts";

type JsonObject = { [k: string]: JsonValue };

/** Who writes, and where: one request's view of the field manager. */
export interface ManagerRequest {
  readonly manager: string;
  /** "" for the main resource, else e.g. "status". */
  readonly subresource: string;
  /** The group/version of the request (the entry's apiVersion). */
  readonly apiVersion: string;
  /** RFC 3339 (seconds): the entry's time when its fields change. */
  readonly time: string;
  /** The kind has a /status subresource: writes to the main resource never own status. */
  readonly statusSubresource: boolean;
}

/** One decoded entry: the entry as stored (its set aside) and its field set. */
export interface ManagedSet {
  readonly entry: ManagedFieldsEntry;
  readonly set: FieldSet;
}

/** stripMetaManager: metadata the server owns is never attributed (generateName is, as in kube). */
const SERVER_META = new Set(["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink", "clusterName"]);

/** True for a path no manager may own: apiVersion, kind, server metadata, and the strategy's reset
 *  fields (GetResetFields: status for the main resource of a kind with /status, spec for /status). */
export function isUntrackedPath(p: FieldPath, req: Pick<ManagerRequest, "subresource" | "statusSubresource">): boolean {
  const [top, second] = p;
  if (top === "f:apiVersion" || top === "f:kind") return true;
  if (top === "f:metadata") return second === undefined || (second.startsWith("f:") && SERVER_META.has(second.slice(2)));
  if (top === "f:status") return req.subresource === "" && req.statusSubresource;
  if (top === "f:spec") return req.subresource === "status";
  return false;
}

export function trackedOnly(set: FieldSet, req: Pick<ManagerRequest, "subresource" | "statusSubresource">): FieldSet {
  return set.filter((p) => !isUntrackedPath(p, req));
}

/** BuildManagerIdentifier: the entry without time and fields, and without apiVersion for an applier
 *  (so its identity survives version changes). Managers compare and sort by this string. */
export function managerIdentifier(e: ManagedFieldsEntry): string {
  return JSON.stringify({
    manager: e.manager || undefined,
    operation: e.operation || undefined,
    apiVersion: e.operation === "Apply" ? undefined : e.apiVersion || undefined,
    subresource: e.subresource || undefined,
  });
}

/** printManager (internal/conflict.go): `"kubectl"`, `"x" with subresource "status"`, `"kubectl-patch" using v1`. */
export function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager ?? "");
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === "Update" ? `${s} using ${e.apiVersion ?? ""}` : s;
}

/** DecodeManagedFields: undefined when any entry is malformed (kube then falls back to the live object). */
export function decodeManagedFields(entries: unknown): ManagedSet[] | undefined {
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) return undefined;
  const out: ManagedSet[] = [];
  for (const e of entries as unknown[]) {
    if (!isObject(e) || (e.operation !== "Apply" && e.operation !== "Update")) return undefined;
    if (e.fieldsType !== undefined && e.fieldsType !== "FieldsV1") return undefined;
    const set = fieldSetFromV1(e.fieldsV1 ?? {});
    if (set === undefined) return undefined;
    out.push({ entry: e as ManagedFieldsEntry, set });
  }
  return out;
}

/** isResetManagedFields: `managedFields: []` or `[{}]` sent by a client clears the ownership. */
export function isResetManagedFields(sent: unknown): boolean {
  if (!Array.isArray(sent)) return false;
  return sent.length === 0 || (sent.length === 1 && isObject(sent[0]) && Object.keys(sent[0]).length === 0);
}

function seconds(t: string | undefined): number {
  const ms = t === undefined ? NaN : Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** kube's DefaultMaxUpdateManagers and the bucket its capManagersManager merges older ones into. */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = "ancient-changes";

/**
 * capManagersManager.capUpdateManagers: past MAX_UPDATE_MANAGERS Update entries (Apply entries never
 * count), the oldest (by time in seconds, then identifier) are merged, per apiVersion, into an
 * "ancient-changes" Update entry carrying the newest merged time — so managers named after every
 * client's User-Agent cannot grow managedFields without bound.
 */
export function capUpdateManagers(sets: readonly ManagedSet[]): ManagedSet[] {
  const updaters = sets.filter((m) => m.entry.operation !== "Apply");
  if (updaters.length <= MAX_UPDATE_MANAGERS) return [...sets];
  const byId = new Map(sets.map((m) => [managerIdentifier(m.entry), m] as const));
  const oldestFirst = [...updaters].sort((p, q) => seconds(p.entry.time) - seconds(q.entry.time) || cmp(managerIdentifier(p.entry), managerIdentifier(q.entry)));
  const firstOfVersion = new Map<string, string>();
  let count = updaters.length;
  for (const m of oldestFirst) {
    if (count <= MAX_UPDATE_MANAGERS) break;
    const version = m.entry.apiVersion ?? "";
    const id = managerIdentifier(m.entry);
    const first = firstOfVersion.get(version);
    if (first === undefined) {
      firstOfVersion.set(version, id);
      continue;
    }
    const bucketEntry: ManagedFieldsEntry = { manager: ANCIENT_CHANGES, operation: "Update", apiVersion: version, ...(m.entry.time !== undefined ? { time: m.entry.time } : {}) };
    const bucketId = managerIdentifier(bucketEntry);
    let bucket = byId.get(bucketId);
    if (bucket === undefined) {
      // The first of this version becomes the bucket (kube moves its set under the bucket's name).
      bucket = byId.get(first)!;
      byId.delete(first);
    }
    byId.set(bucketId, { entry: bucketEntry, set: bucket.set.union(m.set) });
    if (id !== bucketId) byId.delete(id);
    count--;
  }
  return [...byId.values()];
}

/** EncodeObjectManagedFields: empty sets dropped, fields in kube's order, entries sorted as
 *  sortEncodedManagedFields does (operation, time, manager, apiVersion, subresource). */
export function encodeManagedFields(sets: readonly ManagedSet[]): ManagedFieldsEntry[] {
  const entries = capUpdateManagers(sets.filter((m) => m.set.size > 0))
    .map(({ entry: e, set }): ManagedFieldsEntry => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(e.time !== undefined ? { time: e.time } : {}),
      fieldsType: "FieldsV1",
      fieldsV1: fieldSetToV1(set),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
  return entries.sort(
    (p, q) =>
      cmp(p.operation ?? "", q.operation ?? "") ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager ?? "", q.manager ?? "") ||
      cmp(p.apiVersion ?? "", q.apiVersion ?? "") ||
      cmp(p.subresource ?? "", q.subresource ?? ""),
  );
}

/** FieldManager.Update's choice of the starting entries: a reset clears; entries the request itself
 *  carries (and that decode) are taken as given — how kubectl's client-side → server-side apply
 *  migration rewrites them; otherwise the live object's (clients unaware of managedFields keep them).
 *  Subresource writes always start from the live object (ignoreManagedFieldsFromRequestObject). */
export function startingEntries(live: JsonValue | undefined, next: JsonValue, subresource: string): ManagedSet[] {
  const liveSets = (): ManagedSet[] => decodeManagedFields(metaOf(live)?.managedFields) ?? [];
  if (subresource !== "") return liveSets();
  const sent = metaOf(next)?.managedFields;
  if (isResetManagedFields(sent)) return [];
  if (Array.isArray(sent) && sent.length > 0) return decodeManagedFields(sent) ?? liveSets();
  return liveSets();
}

function metaOf(o: JsonValue | undefined): JsonObject | undefined {
  return isObject(o) && isObject(o.metadata) ? o.metadata : undefined;
}

/** The tracked differences between two objects (managedFields themselves never compared). */
export function trackedChanges(live: JsonValue | undefined, next: JsonValue, req: Pick<ManagerRequest, "subresource" | "statusSubresource">): { touched: FieldSet; removed: FieldSet } {
  const c = compareObjects(withoutManagedFields(live), withoutManagedFields(next));
  return { touched: trackedOnly(c.added.union(c.modified), req), removed: trackedOnly(c.removed, req) };
}

/** The object without metadata.managedFields (never compared, never part of an applier's set). */
export function withoutManagedFields(o: JsonValue | undefined): JsonValue | undefined {
  const meta = metaOf(o);
  if (!isObject(o) || meta === undefined) return o;
  const { managedFields: _m, ...rest } = meta;
  return { ...o, metadata: rest };
}

/**
 * An Update by req.manager (merge.Updater.Update through managedFieldsUpdater): the fields it added or
 * changed become its own (its previous Update set minus what it removed, plus what it touched) and are
 * taken from every other entry; removed fields leave every entry. Its time moves only when it touched
 * something. A create is an Update from nothing. Returns the new managedFields.
 */
export function updateManagedFields(live: JsonValue | undefined, next: JsonValue, req: ManagerRequest): ManagedFieldsEntry[] {
  const base = startingEntries(live, next, req.subresource);
  const { touched, removed } = trackedChanges(live, next, req);
  const mine: ManagedFieldsEntry = { manager: req.manager, operation: "Update", apiVersion: req.apiVersion, ...(req.subresource ? { subresource: req.subresource } : {}) };
  const me = managerIdentifier(mine);
  const previous = base.find((m) => managerIdentifier(m.entry) === me);
  const others = base.filter((m) => m !== previous).map((m) => ({ entry: m.entry, set: m.set.difference(touched).difference(removed) }));
  const set = (previous?.set ?? new FieldSet()).difference(removed).union(touched);
  const time = touched.size > 0 ? req.time : previous?.entry.time;
  return encodeManagedFields([...others, { entry: { ...mine, ...(time !== undefined ? { time } : {}) }, set }]);
}
