// Server-side apply's ownership step (structured-merge-diff merge.Updater.Apply): the applier's set
// becomes exactly what its configuration names; fields it applied before and no longer names are
// removed unless another manager owns them (prune); a changed value at a path another manager owns is
// a conflict — a 409 with kube's message and FieldManagerConflict causes, or with force=true the path
// moves to the applier. Equal values are shared ownership. The merge itself is api/smp.ts
// applyConfiguration, which keeps every live field the configuration does not name.
import { ApiError } from "./errors.ts";
import { fieldSetOf, pathString, removePath, type FieldSet } from "./field-sets.ts";
import {
  decodeManagedFields,
  encodeManagedFields,
  managerIdentifier,
  printManager,
  trackedChanges,
  trackedOnly,
  withoutManagedFields,
  type ManagedSet,
  type ManagerRequest,
} from "./managed-fields.ts";
import type { ManagedFieldsEntry } from "./meta.ts";
import { clone, isObject, type JsonValue } from "./patch.ts";

/** One other manager's entry and the paths of it the apply would change. */
export interface ApplyConflict {
  readonly entry: ManagedFieldsEntry;
  readonly paths: FieldSet;
}

/** Removes from `obj` what the previous apply set held, the new one does not, and nobody else holds
 *  (a path stays while any set holds it or something below it). */
export function pruneUnappliedFields(obj: JsonValue, previous: FieldSet, next: FieldSet, others: readonly FieldSet[]): void {
  for (const p of previous.sorted()) {
    if (next.coversOrBelow(p) || others.some((o) => o.coversOrBelow(p))) continue;
    removePath(obj, p);
  }
}

/** internal/conflict.go NewConflictError: managers sorted by identifier, paths in set order. */
export function applyConflictError(conflicts: readonly ApplyConflict[]): ApiError {
  const sorted = [...conflicts].sort((a, b) => {
    const x = managerIdentifier(a.entry);
    const y = managerIdentifier(b.entry);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const flat = sorted.flatMap((c) => c.paths.sorted().map((p) => ({ who: printManager(c.entry), field: pathString(p) })));
  const first = flat[0];
  const message =
    flat.length === 1 && first !== undefined
      ? `Apply failed with 1 conflict: conflict with ${first.who}: ${first.field}`
      : `Apply failed with ${flat.length} conflicts: ${sorted
          .map((c) => [`conflicts with ${printManager(c.entry)}:`, ...c.paths.sorted().map((p) => `- ${pathString(p)}`)].join("\n"))
          .join("\n")}`;
  return new ApiError("Conflict", message, {
    causes: flat.map((f) => ({ reason: "FieldManagerConflict", message: `conflict with ${f.who}`, field: f.field })),
  });
}

export interface AppliedOwnership {
  /** The merged object after pruning (managedFields not yet replaced). */
  readonly object: JsonValue;
  readonly managedFields: ManagedFieldsEntry[];
}

/**
 * Apply by req.manager of `config`, already merged into `live` as `merged`. Throws the 409 conflict
 * unless `force`; with force the conflicting paths leave the other entries. The Apply entry's set is
 * the configuration's (untracked fields left out); its time moves when the object changed or the
 * entry is new (managedFieldsUpdater.Apply). `live` undefined: a create by apply.
 */
export function applyManagedFields(live: JsonValue | undefined, merged: JsonValue, config: JsonValue, req: ManagerRequest, force: boolean): AppliedOwnership {
  const entries = decodeManagedFields(isObject(live) && isObject(live.metadata) ? live.metadata.managedFields : undefined) ?? [];
  const mine: ManagedFieldsEntry = { manager: req.manager, operation: "Apply", apiVersion: req.apiVersion, ...(req.subresource ? { subresource: req.subresource } : {}) };
  const me = managerIdentifier(mine);
  const previous = entries.find((m) => managerIdentifier(m.entry) === me);
  const others = entries.filter((m) => m !== previous);
  const applied = trackedOnly(fieldSetOf(withoutManagedFields(config) ?? {}), req);
  const object = clone(merged);
  if (previous !== undefined) pruneUnappliedFields(object, previous.set, applied, others.map((o) => o.set));
  const { touched, removed } = trackedChanges(live, object, req);
  const conflicts = others.map((o) => ({ entry: o.entry, paths: o.set.intersection(touched) })).filter((c) => c.paths.size > 0);
  if (conflicts.length > 0 && !force) throw applyConflictError(conflicts);
  const kept: ManagedSet[] = others.map((o) => ({ entry: o.entry, set: o.set.difference(touched).difference(removed) }));
  const changed = touched.size > 0 || removed.size > 0 || previous === undefined;
  const time = changed ? req.time : previous.entry.time;
  return { object, managedFields: encodeManagedFields([...kept, { entry: { ...mine, ...(time !== undefined ? { time } : {}) }, set: applied }]) };
}
