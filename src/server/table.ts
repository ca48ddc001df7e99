// Server-side printing: meta.k8s.io/v1 Table answers for `kubectl get` (kubectl-protocol.md §4).
// kubectl prints cells verbatim, so the resource table's `cells()` formats AGE etc.; every row carries a
// PartialObjectMetadata (needed for -A's NAMESPACE column and --show-labels).
import type { ApiObject, ObjectMeta, ResourceInfo } from "../api/index.ts";

/** True when the Accept header asks for `as=Table;g=meta.k8s.io` (v1 or v1beta1) before plain JSON. */
export function wantsTable(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes("as=Table")) return false;
  for (const clause of accept.split(",")) {
    const params = clause.split(";").map((p) => p.trim());
    if (params.includes("as=Table") && params.includes("g=meta.k8s.io")) return true;
    if (params[0] === "application/json" && params.length === 1) return false;
  }
  return false;
}

function columnDefinitions(info: ResourceInfo): Record<string, unknown>[] {
  return info.columns.map((c) => ({ description: "", priority: 0, ...c }));
}

function partialMetadata(meta: ObjectMeta): Record<string, unknown> {
  const { managedFields: _managed, ...rest } = meta;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: rest };
}

function row(info: ResourceInfo, obj: ApiObject, now: Date): Record<string, unknown> {
  return { cells: info.cells(obj, now), object: partialMetadata(obj.metadata) };
}

export interface TableOptions {
  readonly resourceVersion?: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
  /** Watch events after the first omit the header (kubectl keeps the list's). */
  readonly withColumns?: boolean;
}

export function toTable(info: ResourceInfo, objs: readonly ApiObject[], now: Date, opts: TableOptions = {}): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (opts.resourceVersion !== undefined) metadata["resourceVersion"] = opts.resourceVersion;
  if (opts.continue) metadata["continue"] = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata["remainingItemCount"] = opts.remainingItemCount;
  const table: Record<string, unknown> = { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata };
  if (opts.withColumns !== false) table["columnDefinitions"] = columnDefinitions(info);
  table["rows"] = objs.map((o) => row(info, o, now));
  return table;
}
