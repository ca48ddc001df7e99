// Applying a PATCH body to the live object (apiserver/pkg/endpoints/handlers/patch.go): the four patch
// types, then the same body checks as an update. Server-side apply is the pragmatic merge of
// api/smp.ts applyConfiguration (no field ownership or conflicts; `force` is accepted and ignored).
import {
  ApiError,
  applyConfiguration,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  conflict,
  fieldsV1Of,
  isObject,
  pruneUnappliedFields,
  type JsonValue,
  type ApiObject,
  type ResourceInfo,
} from "../api/index.ts";
import { checkBody } from "./objects.ts";
import type { PatchType } from "./types.ts";

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

/** Server-side apply: merge, then drop what this manager applied before and no longer applies. */
function applyWithPruning(cur: ApiObject, patch: unknown, manager: string): unknown {
  const merged = applyByType(cur, "apply", patch);
  const entries = cur.metadata.managedFields ?? [];
  const mine = entries.find((e) => e.manager === manager && e.operation === "Apply" && !e.subresource);
  if (mine !== undefined) {
    const others = entries.filter((e) => e !== mine).map((e) => e.fieldsV1);
    pruneUnappliedFields(merged, mine.fieldsV1, fieldsV1Of(patch as JsonValue), others);
  }
  return merged;
}

/** The patched object; a patch pinned to another resourceVersion (see pinnedResourceVersion) is 409. */
export function applyPatchDocument(info: ResourceInfo, cur: ApiObject, type: PatchType, patch: unknown, manager = "unknown"): ApiObject {
  const pinned = pinnedResourceVersion(type, patch);
  if (pinned !== undefined && pinned !== cur.metadata.resourceVersion) {
    throw conflict(info.group, info.resource, cur.metadata.name ?? "", "the object has been modified; please apply your changes to the latest version and try again");
  }
  const result = type === "apply" ? applyWithPruning(cur, patch, manager) : applyByType(cur, type, patch);
  if (!isObject(result)) throw new ApiError("BadRequest", "the patched object is not a JSON object");
  return checkBody(info, result);
}

/** A patch of the /scale subresource applies to the Scale object, not the parent. */
export function applyScalePatch(scale: ApiObject, type: PatchType, patch: unknown): unknown {
  return applyByType(scale, type === "apply" ? "merge" : type, patch);
}
