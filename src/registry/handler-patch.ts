// Applying a PATCH body to the live object (apiserver/pkg/endpoints/handlers/patch.go): the four patch
// types, then the same body checks as an update. Server-side apply merges with api/smp.ts
// applyConfiguration, then api/apply.ts applyManagedFields prunes what the applier dropped and
// detects conflicts with other managers (409 unless force), as kube's field manager does in the patcher,
// before the strategy runs.
import {
  ApiError,
  applyConfiguration,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  applyManagedFields,
  conflict,
  isObject,
  type JsonValue,
  type ApiObject,
  type ResourceInfo,
} from "../api/index.ts";
import { checkBody, managerRequest } from "./objects.ts";
import type { PatchType, RequestContext } from "./types.ts";

const ACCEPTED =
  "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json";

/** The resourceVersion a patch document asks for, if any (a precondition: no retry on conflict). */
export function pinnedResourceVersion(type: PatchType, patch: unknown): string | undefined {
  if (type === "json") {
    if (!Array.isArray(patch)) return undefined;
    const op = (patch as unknown[]).find((o) => isObject(o) && o.path === "/metadata/resourceVersion" && (o.op === "replace" || o.op === "add"));
    return isObject(op) && typeof op.value === "string" ? op.value : undefined;
  }
  if (!isObject(patch) || !isObject(patch.metadata)) return undefined;
  const rv = patch.metadata.resourceVersion;
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}

function applyByType(cur: ApiObject, type: PatchType, patch: unknown): unknown {
  switch (type) {
    case "json":
      return applyJsonPatch(cur, patch);
    case "merge":
      if (!isObject(patch)) throw new ApiError("BadRequest", "the patch document must be a JSON object");
      return applyMergePatch(cur, patch);
    case "strategic":
      return applyStrategicMergePatch(cur, patch);
    case "apply": {
      if (!isObject(patch)) throw new ApiError("BadRequest", "the apply configuration must be an object");
      if (!patch.apiVersion || !patch.kind) throw new ApiError("BadRequest", "apiVersion and kind must be set in an apply configuration");
      return applyConfiguration(cur, patch);
    }
    default:
      throw new ApiError("UnsupportedMediaType", ACCEPTED);
  }
}

/** Server-side apply: merge, then ownership (prune, conflicts); the result carries its new managedFields. */
function applyWithOwnership(info: ResourceInfo, cur: ApiObject, patch: unknown, owner: PatchOwner): unknown {
  const merged = applyByType(cur, "apply", patch);
  const req = managerRequest(info, owner.ctx, owner.subresource);
  const { object, managedFields } = applyManagedFields(cur as unknown as JsonValue, merged as JsonValue, patch as JsonValue, req, owner.force);
  if (isObject(object) && isObject(object.metadata)) object.metadata.managedFields = managedFields as unknown as JsonValue;
  return object;
}

/** Who patches: the request (field manager, time), the subresource, and apply's `force`. */
export interface PatchOwner {
  readonly ctx: RequestContext;
  readonly subresource: string;
  readonly force: boolean;
}

/** The patched object; a patch pinned to another resourceVersion (see pinnedResourceVersion) is 409. */
export function applyPatchDocument(info: ResourceInfo, cur: ApiObject, type: PatchType, patch: unknown, owner: PatchOwner): ApiObject {
  const pinned = pinnedResourceVersion(type, patch);
  if (pinned !== undefined && pinned !== cur.metadata.resourceVersion) {
    throw conflict(info.group, info.resource, cur.metadata.name ?? "", "the object has been modified; please apply your changes to the latest version and try again");
  }
  const result = type === "apply" ? applyWithOwnership(info, cur, patch, owner) : applyByType(cur, type, patch);
  if (!isObject(result)) throw new ApiError("BadRequest", "the patched object is not a JSON object");
  return checkBody(info, result);
}

/** A patch of the /scale subresource applies to the Scale object, not the parent. */
export function applyScalePatch(scale: ApiObject, type: PatchType, patch: unknown): unknown {
  return applyByType(scale, type === "apply" ? "merge" : type, patch);
}
