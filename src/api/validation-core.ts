// Minimal core/apps validation for the mistakes people make by hand (pkg/apis/core/validation,
// pkg/apis/apps/validation): containers, selectors that must match the template's labels.
import type { FieldError } from "./errors.ts";
import type { ApiObject } from "./meta.ts";
import { isDns1123Label } from "./names.ts";
import { matchesLabels, type LabelRequirement } from "./selectors.ts";
import { arr, formatLabels, rec, str } from "./table.ts";

const required = (field: string): FieldError => ({ type: "FieldValueRequired", field });

/** ValidatePodSpec, the parts kpki can check without running anything. */
export function validatePodSpec(spec: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const containers = arr(spec, "containers");
  if (containers.length === 0) errs.push(required(`${path}.containers`));
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    const name = str(c, "name");
    if (name === "") errs.push(required(`${p}.name`));
    else {
      for (const m of isDns1123Label(name)) errs.push({ type: "FieldValueInvalid", field: `${p}.name`, value: name, detail: m });
      if (seen.has(name)) errs.push({ type: "FieldValueDuplicate", field: `${p}.name`, value: name });
      seen.add(name);
    }
    if (str(c, "image").trim() === "") errs.push(required(`${p}.image`));
  });
  return errs;
}

function selectorRequirements(sel: Record<string, unknown>): LabelRequirement[] {
  const reqs: LabelRequirement[] = Object.entries(rec(sel, "matchLabels")).map(([key, v]) => ({ key, op: "=", values: [String(v)] }));
  for (const e of arr(sel, "matchExpressions")) {
    const op = str(e, "operator");
    const values = arr(e, "values").map(String);
    const key = str(e, "key");
    if (op === "In") reqs.push({ key, op: "in", values });
    else if (op === "NotIn") reqs.push({ key, op: "notin", values });
    else if (op === "Exists") reqs.push({ key, op: "exists", values: [] });
    else if (op === "DoesNotExist") reqs.push({ key, op: "!", values: [] });
  }
  return reqs;
}

/** Deployment/ReplicaSet/StatefulSet/DaemonSet: selector required, non-empty, matching the template. */
export function validateWorkload(obj: ApiObject): FieldError[] {
  const errs: FieldError[] = [];
  const sel = rec(obj, "spec.selector");
  const reqs = selectorRequirements(sel);
  if (Object.keys(sel).length === 0) errs.push(required("spec.selector"));
  else if (reqs.length === 0) errs.push({ type: "FieldValueInvalid", field: "spec.selector", value: sel, detail: "empty selector is invalid for deployment" });
  const labels = rec(obj, "spec.template.metadata.labels") as Record<string, string>;
  if (reqs.length > 0 && !matchesLabels(reqs, labels)) {
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.template.metadata.labels",
      value: formatLabels(labels),
      detail: "`selector` does not match template `labels`",
    });
  }
  const replicas = rec(obj, "spec").replicas;
  if (typeof replicas === "number" && (replicas < 0 || !Number.isInteger(replicas))) {
    errs.push({ type: "FieldValueInvalid", field: "spec.replicas", value: replicas, detail: "must be greater than or equal to 0" });
  }
  return [...errs, ...validatePodSpec(rec(obj, "spec.template.spec"), "spec.template.spec")];
}
