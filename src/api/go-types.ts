// The JSON types kube-apiserver's decoder enforces (encoding/json into the Go structs): a body whose
// field has the wrong JSON type is a 400 BadRequest, never stored. Messages are Go's
// UnmarshalTypeError text — `json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name
// of type string` — where the struct is the innermost one holding the field and the field is the
// dotted path from the root (no indices or map keys). null is always accepted (Go's zero value).
// Checked: apiVersion/kind, ObjectMeta, and each kind's top-level fields that kpki reads; spec/status
// must be objects. Deeper structures (pod templates) are not typed here — a documented simplification.
import { badRequest } from "./errors.ts";
import { isObject } from "./patch.ts";

type Scalar = "string" | "bool" | "int64" | "int32" | "bytes" | "time";
type GoType =
  | { readonly t: Scalar }
  | { readonly t: "any" }
  | { readonly t: "map" | "slice"; readonly of: GoType; readonly go: string }
  | { readonly t: "struct"; readonly go: string; readonly name: string; readonly fields: readonly (readonly [string, GoType])[] };

const S = { t: "string" } as const;
const B = { t: "bool" } as const;
const I64 = { t: "int64" } as const;
const I32 = { t: "int32" } as const;
const TIME = { t: "time" } as const;
const ANY = { t: "any" } as const;
const MAP_SS = { t: "map", of: S, go: "map[string]string" } as const;
const MAP_SB = { t: "map", of: { t: "bytes" }, go: "map[string][]uint8" } as const;
const STRINGS = { t: "slice", of: S, go: "[]string" } as const;
/** `name` is how Go's errors name the struct (no package); fields are kept as entries, walked per body. */
const struct = (go: string, fields: Record<string, GoType>): GoType => ({ t: "struct", go, name: go.replace(/^v1\./, ""), fields: Object.entries(fields) });
const slice = (of: GoType): GoType => ({ t: "slice", of, go: `[]${of.t === "struct" ? of.go : of.t}` });
const opaque = (go: string): GoType => struct(go, {});

const OWNER_REF = struct("v1.OwnerReference", { apiVersion: S, kind: S, name: S, uid: S, controller: B, blockOwnerDeletion: B });
const OBJECT_META = struct("v1.ObjectMeta", {
  name: S, generateName: S, namespace: S, selfLink: S, uid: S, resourceVersion: S, generation: I64, creationTimestamp: TIME,
  deletionTimestamp: TIME, deletionGracePeriodSeconds: I64, labels: MAP_SS, annotations: MAP_SS, ownerReferences: slice(OWNER_REF),
  finalizers: STRINGS, managedFields: { t: "slice", of: ANY, go: "[]v1.ManagedFieldsEntry" },
});
const POLICY_RULE = struct("v1.PolicyRule", { verbs: STRINGS, apiGroups: STRINGS, resources: STRINGS, resourceNames: STRINGS, nonResourceURLs: STRINGS });
const SUBJECT = struct("v1.Subject", { kind: S, apiGroup: S, name: S, namespace: S });
const ROLE_REF = struct("v1.RoleRef", { apiGroup: S, kind: S, name: S });
const CSR_SPEC = struct("v1.CertificateSigningRequestSpec", {
  request: { t: "bytes" }, signerName: S, expirationSeconds: I32, usages: STRINGS, username: S, uid: S, groups: STRINGS,
  extra: { t: "map", of: STRINGS, go: "map[string]v1.ExtraValue" },
});
const CSR_CONDITION = struct("v1.CertificateSigningRequestCondition", { type: S, status: S, reason: S, message: S, lastUpdateTime: TIME, lastTransitionTime: TIME });
const CSR_STATUS = struct("v1.CertificateSigningRequestStatus", { conditions: slice(CSR_CONDITION), certificate: { t: "bytes" } });

/** Top-level fields per kind beyond apiVersion/kind/metadata; spec/status of other kinds must be objects. */
const KINDS: Readonly<Record<string, Readonly<Record<string, GoType>>>> = {
  ConfigMap: { data: MAP_SS, binaryData: MAP_SB, immutable: B },
  Secret: { data: MAP_SB, stringData: MAP_SS, type: S, immutable: B },
  ServiceAccount: { secrets: { t: "slice", of: ANY, go: "[]v1.ObjectReference" }, automountServiceAccountToken: B },
  Role: { rules: slice(POLICY_RULE) },
  ClusterRole: { rules: slice(POLICY_RULE), aggregationRule: opaque("v1.AggregationRule") },
  RoleBinding: { subjects: slice(SUBJECT), roleRef: ROLE_REF },
  ClusterRoleBinding: { subjects: slice(SUBJECT), roleRef: ROLE_REF },
  CertificateSigningRequest: { spec: CSR_SPEC, status: CSR_STATUS },
  Event: { reason: S, message: S, type: S, count: I32, involvedObject: opaque("v1.ObjectReference") },
};

function jsonKind(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  return Array.isArray(v) ? "array" : "object";
}

const unmarshal = (v: unknown, struct: string, path: string, go: string): string =>
  `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${struct}.${path} of type ${go}`;

/** RFC 4648 base64 as Go's encoding/base64.StdEncoding decodes it (padding required). */
function base64Error(v: string): string | undefined {
  const bad = v.search(/[^A-Za-z0-9+/=\r\n]/);
  if (bad >= 0) return `illegal base64 data at input byte ${bad}`;
  const clean = v.replace(/[\r\n]/g, "");
  if (clean.length % 4 !== 0 || /=[^=]/.test(clean)) return `illegal base64 data at input byte ${Math.max(0, clean.length - (clean.length % 4 || 4))}`;
  return undefined;
}

function scalarError(v: unknown, t: Scalar, struct: string, path: string): string | undefined {
  switch (t) {
    case "string":
    case "time":
      return typeof v === "string" ? undefined : unmarshal(v, struct, path, "string");
    case "bool":
      return typeof v === "boolean" ? undefined : unmarshal(v, struct, path, "bool");
    case "bytes":
      return typeof v === "string" ? base64Error(v) : unmarshal(v, struct, path, "[]uint8");
    case "int64":
    case "int32": {
      if (typeof v !== "number") return unmarshal(v, struct, path, t);
      const limit = t === "int32" ? 2 ** 31 : 2 ** 63;
      return Number.isInteger(v) && v >= -limit && v < limit ? undefined : `json: cannot unmarshal number ${v} into Go struct field ${struct}.${path} of type ${t}`;
    }
  }
}

function check(v: unknown, type: GoType, struct: string, path: string): string | undefined {
  if (v === null || v === undefined || type.t === "any") return undefined;
  if (type.t === "struct") {
    if (!isObject(v)) return unmarshal(v, struct, path, type.go);
    for (const [k, ft] of type.fields) {
      const err = check(v[k], ft, type.name, path === "" ? k : `${path}.${k}`);
      if (err !== undefined) return err;
    }
    return undefined;
  }
  if (type.t === "map" || type.t === "slice") {
    const ok = type.t === "map" ? isObject(v) : Array.isArray(v);
    if (!ok) return unmarshal(v, struct, path, type.go);
    for (const item of Object.values(v as object) as unknown[]) {
      const err = check(item, type.of, struct, path);
      if (err !== undefined) return err;
    }
    return undefined;
  }
  return scalarError(v, type.t, struct, path);
}

/** Each kind's root type, built on its first body and reused: this runs on every create/update/patch. */
const ROOTS = new Map<string, GoType>();

function rootType(kind: string): GoType {
  let root = ROOTS.get(kind);
  if (root === undefined) {
    const fields = KINDS[kind] ?? { spec: opaque(`v1.${kind}Spec`), status: opaque(`v1.${kind}Status`) };
    root = struct(kind, { apiVersion: S, kind: S, metadata: OBJECT_META, ...fields });
    ROOTS.set(kind, root);
  }
  return root;
}

/** The first Go decoding error `obj` (a `kind` body) would raise, or undefined when it decodes. */
export function goTypeError(kind: string, obj: Record<string, unknown>): string | undefined {
  return check(obj, rootType(kind), kind, "");
}

/** apiserver's transformDecodeError: `<Kind> in version "<v>" cannot be handled as a <Kind>: <error>` (400). */
export function checkGoTypes(info: { readonly kind: string; readonly version: string }, obj: Record<string, unknown>): void {
  const err = goTypeError(info.kind, obj);
  if (err === undefined) return;
  const apiVersion = typeof obj["apiVersion"] === "string" ? obj["apiVersion"] : "";
  const version = apiVersion === "" ? info.version : (apiVersion.split("/").at(-1) ?? info.version);
  throw badRequest(`${info.kind} in version "${version}" cannot be handled as a ${info.kind}: ${err}`);
}
