// Server-side Table helpers (meta.k8s.io/v1 Table). kube-apiserver's printers
// (pkg/printers/internalversion/printers.go) format every cell themselves; kubectl prints them verbatim.
import { humanDuration } from "../base/index.ts";
import type { ApiObject } from "./meta.ts";

export interface TableColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly format?: string;
  readonly description?: string;
  /** 0 = always shown; 1 = only with `-o wide`. */
  readonly priority?: number;
}

export function col(name: string, opts: { type?: TableColumn["type"]; wide?: boolean; format?: string } = {}): TableColumn {
  return {
    name,
    type: opts.type ?? "string",
    ...(opts.format ? { format: opts.format } : {}),
    description: "",
    priority: opts.wide ? 1 : 0,
  };
}

export const NAME_COLUMN = col("Name", { format: "name" });
export const AGE_COLUMN = col("Age");
export const CREATED_AT_COLUMN = col("Created At", { type: "date" });

export type Json = unknown;

/** Reads a dotted path ("spec.replicas") of a plain JSON object; undefined when any step is missing. */
export function pathValue(obj: unknown, path: string): Json {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function str(obj: unknown, path: string): string {
  const v = pathValue(obj, path);
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "";
}

export function num(obj: unknown, path: string): number {
  const v = pathValue(obj, path);
  return typeof v === "number" ? v : 0;
}

export function arr(obj: unknown, path: string): unknown[] {
  const v = pathValue(obj, path);
  return Array.isArray(v) ? v : [];
}

export function rec(obj: unknown, path: string): Record<string, unknown> {
  const v = pathValue(obj, path);
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** translateTimestampSince: "<unknown>" when unset, else HumanDuration(now − t). */
export function age(obj: ApiObject, now: Date): string {
  const ts = obj.metadata.creationTimestamp;
  if (!ts) return "<unknown>";
  return humanDuration(now.getTime() - new Date(ts).getTime());
}

export function ageOf(ts: string, now: Date): string {
  if (!ts) return "<unknown>";
  return humanDuration(now.getTime() - new Date(ts).getTime());
}

/** Go's time.Time RFC3339 in UTC, as the "Created At" column prints it (no fractional seconds). */
export function createdAt(obj: ApiObject): string {
  const ts = obj.metadata.creationTimestamp;
  if (!ts) return "<unknown>";
  return new Date(ts).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function orNone(s: string): string {
  return s === "" ? "<none>" : s;
}

/** labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty. */
export function formatLabels(m: Record<string, unknown>): string {
  const keys = Object.keys(m).sort();
  return keys.length === 0 ? "<none>" : keys.map((k) => `${k}=${String(m[k])}`).join(",");
}

/** metav1.FormatLabelSelector for the matchLabels/matchExpressions shape. */
export function formatLabelSelector(sel: Record<string, unknown>): string {
  const parts: string[] = [];
  const ml = rec(sel, "matchLabels");
  for (const k of Object.keys(ml).sort()) parts.push(`${k}=${String(ml[k])}`);
  for (const e of arr(sel, "matchExpressions")) {
    const key = str(e, "key");
    const op = str(e, "operator");
    const values = arr(e, "values").map(String).join(",");
    if (op === "In") parts.push(`${key} in (${values})`);
    else if (op === "NotIn") parts.push(`${key} notin (${values})`);
    else if (op === "Exists") parts.push(key);
    else if (op === "DoesNotExist") parts.push(`!${key}`);
  }
  const s = parts.join(",");
  return s === "" ? "<none>" : s;
}

/** Containers and images of a pod template (wide columns of workloads). */
export function containersAndImages(obj: unknown, templatePath: string): [string, string] {
  const cs = arr(obj, `${templatePath}.containers`);
  return [cs.map((c) => str(c, "name")).join(","), cs.map((c) => str(c, "image")).join(",")];
}
