// Pure validators returning FieldError[] (apimachinery/pkg/api/validation/objectmeta.go,
// pkg/apis/rbac/validation/validation.go, pkg/apis/core/validation). Messages match kube's.
import type { FieldError } from "./errors.ts";
import type { ApiObject, ObjectMeta } from "./meta.ts";
import {
  isQualifiedName,
  isValidLabelValue,
  nameIsDns1035Label,
  nameIsDnsLabel,
  nameIsDnsSubdomain,
  nameIsPathSegment,
  type NameValidator,
} from "./names.ts";
import { RBAC_GROUP } from "./rbac.ts";

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

const invalidErr = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });
const required = (field: string, detail = ""): FieldError => ({ type: "FieldValueRequired", field, ...(detail ? { detail } : {}) });
const notSupported = (field: string, value: unknown, allowed: string[]): FieldError => ({ type: "FieldValueNotSupported", field, value, allowed });

/** Which name rule each resource uses (kube's per-kind ValidateXName). Default: DNS subdomain. */
const NAME_RULES: Readonly<Record<string, NameValidator>> = {
  namespaces: nameIsDnsLabel,
  services: nameIsDns1035Label,
  roles: nameIsPathSegment,
  clusterroles: nameIsPathSegment,
  rolebindings: nameIsPathSegment,
  clusterrolebindings: nameIsPathSegment,
};

export function nameValidatorFor(resource: string): NameValidator {
  return NAME_RULES[resource] ?? nameIsDnsSubdomain;
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errs.push(invalidErr(field, k, m));
    for (const m of isValidLabelValue(typeof v === "string" ? v : String(v))) errs.push(invalidErr(field, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalidErr(field, k, m));
    size += k.length + String(v).length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push({ type: "FieldValueTooLong", field, detail: `must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  return errs;
}

/** ValidateObjectMeta: name/generateName, namespace presence per scope, labels, annotations. */
export function validateObjectMeta(meta: ObjectMeta, opts: { namespaced: boolean; resource: string }): FieldError[] {
  const errs: FieldError[] = [];
  const nameFn = nameValidatorFor(opts.resource);
  if (meta.generateName) {
    for (const m of nameFn(meta.generateName, true)) errs.push(invalidErr("metadata.generateName", meta.generateName, m));
  }
  if (!meta.name) {
    if (!meta.generateName) errs.push(required("metadata.name", "name or generateName is required"));
  } else {
    for (const m of nameFn(meta.name, false)) errs.push(invalidErr("metadata.name", meta.name, m));
  }
  if (opts.namespaced) {
    if (!meta.namespace) errs.push(required("metadata.namespace"));
    else for (const m of nameIsDnsLabel(meta.namespace, false)) errs.push(invalidErr("metadata.namespace", meta.namespace, m));
  } else if (meta.namespace) {
    errs.push({ type: "FieldValueForbidden", field: "metadata.namespace", detail: "not allowed on this type" });
  }
  errs.push(...validateLabels(meta.labels, "metadata.labels"));
  errs.push(...validateAnnotations(meta.annotations, "metadata.annotations"));
  return errs;
}

/** ValidateObjectMetaUpdate: name, namespace, uid and creationTimestamp are immutable. */
export function validateObjectMetaUpdate(next: ObjectMeta, current: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: string, a: unknown, b: unknown): void => {
    if (a !== b) errs.push(invalidErr(field, a, "field is immutable"));
  };
  immutable("metadata.name", next.name, current.name);
  immutable("metadata.namespace", next.namespace ?? "", current.namespace ?? "");
  if (next.uid !== undefined) immutable("metadata.uid", next.uid, current.uid);
  return errs;
}

interface RuleShape {
  verbs?: unknown;
  apiGroups?: unknown;
  resources?: unknown;
  resourceNames?: unknown;
  nonResourceURLs?: unknown;
}

const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** ValidatePolicyRule. */
export function validatePolicyRule(rule: RuleShape, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (len(rule.verbs) === 0) errs.push(required(`${path}.verbs`, "verbs must contain at least one value"));
  if (len(rule.nonResourceURLs) > 0) {
    if (namespaced) errs.push(invalidErr(`${path}.nonResourceURLs`, rule.nonResourceURLs, "namespaced rules cannot apply to non-resource URLs"));
    if (len(rule.apiGroups) > 0 || len(rule.resources) > 0 || len(rule.resourceNames) > 0) {
      errs.push(invalidErr(`${path}.nonResourceURLs`, rule.nonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"));
    }
    return errs;
  }
  if (len(rule.apiGroups) === 0) errs.push(required(`${path}.apiGroups`, "resource rules must supply at least one api group"));
  if (len(rule.resources) === 0) errs.push(required(`${path}.resources`, "resource rules must supply at least one resource"));
  return errs;
}

export function validateRoleRules(obj: ApiObject, namespaced: boolean): FieldError[] {
  const rules = Array.isArray(obj.rules) ? (obj.rules as RuleShape[]) : [];
  return rules.flatMap((r, i) => validatePolicyRule(r ?? {}, namespaced, `rules[${i}]`));
}

interface SubjectShape {
  kind?: string;
  apiGroup?: string;
  name?: string;
  namespace?: string;
}

function validateSubject(s: SubjectShape, clusterBinding: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(`${path}.name`));
  switch (s.kind) {
    case "ServiceAccount":
      if (s.name) for (const m of nameIsDnsSubdomain(s.name, false)) errs.push(invalidErr(`${path}.name`, s.name, m));
      if (s.apiGroup) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup, [""]));
      if (clusterBinding && !s.namespace) errs.push(required(`${path}.namespace`));
      break;
    case "User":
    case "Group":
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup ?? "", [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${path}.kind`, s.kind ?? "", ["ServiceAccount", "User", "Group"]));
  }
  return errs;
}

/** ValidateRoleBinding / ValidateClusterRoleBinding (roleRef + subjects). */
export function validateBinding(obj: ApiObject, clusterBinding: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = (obj.roleRef ?? {}) as { apiGroup?: string; kind?: string; name?: string };
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported("roleRef.apiGroup", ref.apiGroup ?? "", [RBAC_GROUP]));
  const kinds = clusterBinding ? ["ClusterRole"] : ["Role", "ClusterRole"];
  if (!kinds.includes(ref.kind ?? "")) errs.push(notSupported("roleRef.kind", ref.kind ?? "", kinds));
  if (!ref.name) errs.push(required("roleRef.name"));
  else for (const m of nameIsPathSegment(ref.name, false)) errs.push(invalidErr("roleRef.name", ref.name, m));
  const subjects = Array.isArray(obj.subjects) ? (obj.subjects as SubjectShape[]) : [];
  subjects.forEach((s, i) => errs.push(...validateSubject(s ?? {}, clusterBinding, `subjects[${i}]`)));
  return errs;
}

/** ValidateRoleBindingUpdate: roleRef cannot change. */
export function validateBindingUpdate(next: ApiObject, current: ApiObject): FieldError[] {
  if (JSON.stringify(next.roleRef) !== JSON.stringify(current.roleRef)) {
    return [invalidErr("roleRef", next.roleRef, "cannot change roleRef")];
  }
  return [];
}
