// Request bodies: read with a size limit (413), then decode by Content-Type into plain JSON values —
// JSON, YAML and the `k8s\0` protobuf envelope (kubectl-protocol.md §8). Malformed → 400, unknown
// media type → 415 (kubectl never retries a 415 with another type, §7).
import type { IncomingMessage } from "node:http";
import { parse as parseYaml } from "yaml";
import { ApiError, badRequest } from "../api/index.ts";
import type { PatchType } from "../registry/index.ts";
import { decodeProtobufObject } from "./protobuf.ts";

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024; // kube-apiserver's default request size limit (3 MiB)

function tooLarge(limit: number): ApiError {
  return new ApiError("RequestEntityTooLarge", `Request entity too large: limit is ${limit}`);
}

/** Rejects early on Content-Length, and again while streaming (chunked bodies have no length). */
export function checkDeclaredLength(req: IncomingMessage, limit: number): void {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
}

export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on("end", () => {
      ended = true;
      if (!failed) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    const abort = (why: string): void => {
      if (failed || ended) return;
      failed = true;
      reject(badRequest(`cannot read the request body: ${why}`));
    };
    req.on("error", (err) => abort(err.message));
    // A client that goes away mid-body: settle, so the handler does not wait forever.
    req.on("close", () => abort("the client closed the connection"));
  });
}

const ACCEPTED = "application/json, application/yaml, application/vnd.kubernetes.protobuf";

/** "application/json; charset=utf-8" → "application/json". */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return "";
  const semi = contentType.indexOf(";");
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function unsupported(type: string): ApiError {
  return new ApiError(
    "UnsupportedMediaType",
    `the body of the request was in an unknown format (${type || "no Content-Type"}) - accepted media types include: ${ACCEPTED}`,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseYamlText(text: string): unknown {
  try {
    return parseYaml(text, { strict: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw badRequest(`the request body is not valid YAML: ${first}`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
function text(body: Uint8Array): string {
  try {
    return utf8.decode(body);
  } catch {
    throw badRequest("the request body is not valid UTF-8");
  }
}

/** A create/update body → a JSON object (an object is required; a list or scalar is a 400). */
export function decodeObject(contentType: string | undefined, body: Uint8Array): Record<string, unknown> {
  const type = mediaType(contentType);
  let value: unknown;
  if (type === "application/json" || (type === "" && body.length > 0 && body[0] === 0x7b)) value = parseJson(text(body));
  else if (type === "application/yaml" || type === "text/yaml" || type === "application/x-yaml") value = parseYamlText(text(body));
  else if (type === "application/vnd.kubernetes.protobuf") value = decodeProtobufObject(body);
  else throw unsupported(type);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("the request body must be a JSON object (a Kubernetes object)");
  }
  return value as Record<string, unknown>;
}

/** An optional body (DELETE's DeleteOptions): empty → undefined. */
export function decodeOptional(contentType: string | undefined, body: Uint8Array): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  return decodeObject(contentType, body);
}

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
  "application/apply-patch+cbor": "apply",
};

/** PATCH: the Content-Type names the patch type (apiserver's patch handler); the body is JSON or, for apply, YAML. */
export function decodePatch(contentType: string | undefined, body: Uint8Array): { type: PatchType; patch: unknown } {
  const mt = mediaType(contentType);
  const type = PATCH_TYPES[mt];
  if (type === undefined || mt === "application/apply-patch+cbor") {
    throw new ApiError(
      "UnsupportedMediaType",
      `the body of the request was in an unknown format (${mt || "no Content-Type"}) - accepted media types include: ${Object.keys(PATCH_TYPES)
        .filter((k) => !k.endsWith("cbor"))
        .join(", ")}`,
    );
  }
  const patch = type === "apply" ? parseYamlText(text(body)) : parseJson(text(body));
  if (type === "json" ? !Array.isArray(patch) : patch === null || typeof patch !== "object" || Array.isArray(patch)) {
    throw badRequest(type === "json" ? "a JSON patch must be a JSON array of operations" : "the patch must be a JSON object");
  }
  return { type, patch };
}
