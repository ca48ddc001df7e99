// Patch application, pure: RFC 6902 JSON patch, RFC 7386 merge patch and Kubernetes' strategic
// merge patch (apimachinery/pkg/util/strategicpatch) for the served kinds. Errors follow kube's
// patch handler: a malformed patch document → 400 BadRequest, a patch that cannot apply → 422.
import { ApiError } from "./errors.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
type JsonObject = { [k: string]: JsonValue };

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function unprocessable(msg: string): ApiError {
  return new ApiError("Invalid", msg);
}

// ---- RFC 7386 ----------------------------------------------------------------------------------

/** RFC 7386 §2 MergePatch: null deletes, objects merge recursively, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): JsonValue {
  if (!isObject(patch)) return clone(patch as JsonValue);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

// ---- RFC 6902 ----------------------------------------------------------------------------------

/** RFC 6901 JSON pointer → reference tokens. */
function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new ApiError("BadRequest", `invalid JSON pointer: "${path}"`);
  return path
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: JsonValue, path: string): { parent: JsonValue; key: string } {
  const toks = pointer(path);
  const key = toks.pop();
  if (key === undefined) throw unprocessable(`cannot operate on the document root: "${path}"`);
  let cur: JsonValue = doc;
  for (const t of toks) {
    const nextVal: JsonValue | undefined = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (nextVal === undefined) throw unprocessable(`doc is missing path: "${path}": missing value`);
    cur = nextVal;
  }
  return { parent: cur, key };
}

function getAt(doc: JsonValue, path: string): JsonValue {
  if (path === "") return doc;
  const { parent, key } = parentOf(doc, path);
  const v = Array.isArray(parent) ? parent[Number(key)] : isObject(parent) ? parent[key] : undefined;
  if (v === undefined) throw unprocessable(`doc is missing path: "${path}": missing value`);
  return v;
}

function arrayIndex(arr: JsonValue[], key: string, path: string, forAdd: boolean): number {
  if (forAdd && key === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw unprocessable(`invalid array index "${key}" in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw unprocessable(`index out of range in "${path}"`);
  return i;
}

function addAt(doc: JsonValue, path: string, value: JsonValue): JsonValue {
  if (path === "") return value;
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, true), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw unprocessable(`doc is missing path: "${path}": missing value`);
  return doc;
}

function removeAt(doc: JsonValue, path: string): JsonValue {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, key, path, false), 1);
  } else if (isObject(parent) && key in parent) {
    delete parent[key];
  } else {
    throw unprocessable(`doc is missing path: "${path}": missing value`);
  }
  return doc;
}

interface JsonPatchOp {
  op?: unknown;
  path?: unknown;
  from?: unknown;
  value?: unknown;
}

/** RFC 6902 §4: add, remove, replace, move, copy, test; applied in order, atomically. */
export function applyJsonPatch(target: unknown, patch: unknown): JsonValue {
  if (!Array.isArray(patch)) throw new ApiError("BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let doc = clone(target as JsonValue);
  for (const raw of patch as JsonPatchOp[]) {
    const op = raw?.op;
    const path = typeof raw?.path === "string" ? raw.path : undefined;
    if (path === undefined) throw new ApiError("BadRequest", `invalid JSON patch operation: missing "path"`);
    const from = typeof raw.from === "string" ? raw.from : "";
    switch (op) {
      case "add":
        doc = addAt(doc, path, clone(raw.value as JsonValue));
        break;
      case "remove":
        doc = removeAt(doc, path);
        break;
      case "replace":
        getAt(doc, path);
        doc = path === "" ? clone(raw.value as JsonValue) : addAt(removeAt(doc, path), path, clone(raw.value as JsonValue));
        break;
      case "move": {
        const v = getAt(doc, from);
        doc = addAt(removeAt(doc, from), path, v);
        break;
      }
      case "copy":
        doc = addAt(doc, path, clone(getAt(doc, from)));
        break;
      case "test":
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value)) throw unprocessable(`testing value ${path} failed: test failed`);
        break;
      default:
        throw new ApiError("BadRequest", `Unexpected kind: ${String(op)}`);
    }
  }
  return doc;
}
