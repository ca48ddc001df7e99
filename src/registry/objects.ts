// Shared steps of the generic REST handler: storage → API error mapping, body checks against the URL,
// strict field validation, generateName, managedFields. All pure except for the RandomSource.
import {
  ApiError,
  alreadyExists,
  apiVersionOf,
  badRequest,
  checkGoTypes,
  conflict,
  applyManagedFields,
  updateManagedFields,
  internalError,
  notFound,
  strictDecodingMessage,
  unknownFields,
  type ApiObject,
  type JsonValue,
  type ManagedFieldsEntry,
  type ManagerRequest,
  type ResourceInfo,
} from "../api/index.ts";
import type { RandomSource } from "../base/index.ts";
import { StorageError } from "../storage/index.ts";
import type { RequestContext } from "./types.ts";

/** StorageError → ApiError with apimachinery's messages and details. */
export function toApiError(err: unknown, info: ResourceInfo, name: string): unknown {
  if (!(err instanceof StorageError)) return err;
  switch (err.code) {
    case "not-found":
      return notFound(info.group, info.resource, name);
    case "exists":
      return alreadyExists(info.group, info.resource, name);
    case "conflict":
      return conflict(info.group, info.resource, name, "the object has been modified; please apply your changes to the latest version and try again");
    case "compacted":
      return new ApiError("Expired", err.message);
    case "invalid":
      return badRequest(err.message);
    case "unavailable":
      return new ApiError("ServiceUnavailable", err.message);
    case "too-new": // apimachinery storage.NewTooLargeResourceVersionError
      return new ApiError("Timeout", `Timeout: ${err.message}`, { causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }], retryAfterSeconds: 1 });
    default:
      return internalError(err);
  }
}

export async function mapStorage<T>(info: ResourceInfo, name: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw toApiError(err, info, name);
  }
}

/** The body must be an object of this resource's kind (kube: 400 on a kind/apiVersion mismatch). */
export function checkBody(info: ResourceInfo, obj: unknown): ApiObject {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw badRequest(`the body of the request was not a JSON object`);
  }
  const o = obj as Partial<ApiObject>;
  const apiVersion = apiVersionOf(info.group, info.version);
  if (o.kind !== undefined && o.kind !== "" && o.kind !== info.kind) {
    throw badRequest(kindMismatch(o.kind, info, apiVersion, o.apiVersion));
  }
  if (o.apiVersion !== undefined && o.apiVersion !== "" && o.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${apiVersion})`);
  }
  checkGoTypes(info, obj as Record<string, unknown>);
  const metadata = o.metadata !== null && typeof o.metadata === "object" && !Array.isArray(o.metadata) ? o.metadata : {};
  return { ...(o as Record<string, unknown>), apiVersion, kind: info.kind, metadata: { ...metadata } } as ApiObject;
}

function kindMismatch(kind: string, info: ResourceInfo, apiVersion: string, bodyVersion: string | undefined): string {
  // kube's decoder: `<Kind> in version "<v>" cannot be handled as a <ExpectedKind>: …`
  const v = bodyVersion && bodyVersion.includes("/") ? bodyVersion.split("/")[1] : (bodyVersion ?? info.version);
  return `${kind} in version "${v}" cannot be handled as a ${info.kind}: the kind in the data (${kind}) does not match the expected kind (${info.kind}) for ${apiVersion}`;
}

/** Name/namespace in the body vs the URL (apiserver/pkg/endpoints/handlers/rest.go checkName). */
export function reconcileNamespace(info: ResourceInfo, obj: ApiObject, namespace: string): void {
  if (!info.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const bodyNs = obj.metadata.namespace;
  if (bodyNs !== undefined && bodyNs !== "" && bodyNs !== namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  obj.metadata.namespace = namespace;
}

export function reconcileName(obj: ApiObject, name: string): void {
  const bodyName = obj.metadata.name;
  if (bodyName !== undefined && bodyName !== "" && bodyName !== name) {
    throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
  }
  obj.metadata.name = name;
}

/** The patched object against the URL (patch.go applyPatch → checkName): a patch may not rename or move it. */
export function checkPatchedName(info: ResourceInfo, obj: ApiObject, name: string, namespace: string): void {
  const bodyName = obj.metadata.name ?? "";
  if (bodyName !== name) throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
  const bodyNs = obj.metadata.namespace ?? "";
  if (info.namespaced && namespace !== "" && bodyNs !== "" && bodyNs !== namespace) {
    throw badRequest(`the namespace of the object (${bodyNs}) does not match the namespace on the request (${namespace})`);
  }
}

/** fieldValidation: Strict → 400, Warn → warnings (one per field, kube's text). Like kube's decoder,
 *  unknown fields are then dropped from the object whatever the mode (Ignore/unset included). */
export function checkUnknownFields(ctx: RequestContext, info: ResourceInfo, obj: ApiObject): void {
  const unknown = unknownFields(info.kind, obj);
  if (unknown.length === 0) return;
  if (ctx.fieldValidation === "Strict") throw badRequest(strictDecodingMessage(unknown));
  if (ctx.fieldValidation === "Warn") for (const f of unknown) ctx.warnings.push(`unknown field "${f}"`);
  for (const f of unknown) dropPath(obj, f);
}

/** Deletes "a.b[2].c" from a plain JSON object. */
function dropPath(root: unknown, path: string): void {
  const steps = path.split(".").flatMap((p) => {
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(p);
    const idx = [...(m?.[2] ?? "").matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [m?.[1] ?? p, ...idx];
  });
  let cur: unknown = root;
  for (let i = 0; i < steps.length - 1; i++) {
    if (cur === null || typeof cur !== "object") return;
    cur = (cur as Record<string | number, unknown>)[steps[i] as string | number];
  }
  const last = steps[steps.length - 1];
  if (cur !== null && typeof cur === "object" && !Array.isArray(cur) && typeof last === "string") delete (cur as Record<string, unknown>)[last];
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** names.SimpleNameGenerator: base (truncated to 58) + 5 random characters of kube's alphabet. */
export function generateName(base: string, random: RandomSource): string {
  const bytes = random.bytes(5);
  let suffix = "";
  for (const b of bytes) suffix += GENERATE_ALPHABET[b % GENERATE_ALPHABET.length] ?? "x";
  return `${base.slice(0, 58)}${suffix}`;
}

/** The field manager of this request (kube defaults an unnamed one from the User-Agent; we say "unknown"). */
export function managerRequest(info: ResourceInfo, ctx: RequestContext, subresource: string): ManagerRequest {
  return {
    manager: ctx.fieldManager ?? "unknown",
    subresource,
    apiVersion: apiVersionOf(info.group, info.version),
    time: ctx.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    statusSubresource: info.subresources.includes("status"),
  };
}

/**
 * Sets obj's managedFields for this write. An Update (create, PUT, non-apply PATCH) attributes only
 * what it changed against `live` (api/managed-fields.ts updateManagedFields; undefined live = create).
 * An Apply that created the object owns what its configuration (`applied`) names; an Apply to an
 * existing object passes the entries handler-patch.ts already computed (conflicts, pruning) as `applied`.
 */
export function recordManager(info: ResourceInfo, obj: ApiObject, ctx: RequestContext, operation: "Update" | "Apply", subresource: string, live: ApiObject | undefined, applied?: unknown): void {
  const req = managerRequest(info, ctx, subresource);
  if (operation === "Apply" && Array.isArray(applied)) {
    obj.metadata.managedFields = structuredClone(applied as ManagedFieldsEntry[]);
  } else if (operation === "Apply") {
    obj.metadata.managedFields = applyManagedFields(undefined, obj as unknown as JsonValue, (applied ?? obj) as JsonValue, req, true).managedFields;
  } else {
    obj.metadata.managedFields = updateManagedFields(live as unknown as JsonValue, obj as unknown as JsonValue, req);
  }
  if (obj.metadata.managedFields.length === 0) delete obj.metadata.managedFields;
}

/** The object minus status and metadata: what a generation bump compares. */
export function specOf(obj: ApiObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}
