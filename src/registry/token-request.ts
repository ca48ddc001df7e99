// POST …/serviceaccounts/NAME/token: authentication.k8s.io/v1 TokenRequest, as kube-apiserver 1.32's
// TokenREST.Create (pkg/registry/core/serviceaccount/storage/token.go): the ServiceAccount must exist,
// spec defaults (audiences = the API audiences, expirationSeconds = 3600), ValidateTokenRequest, the
// bound object (Pod, Secret, Node) must exist with the given uid, --service-account-max-token-expiration
// shortens with a warning, and the answer is the request echoed with status {token, expirationTimestamp}.
import {
  ApiError, badRequest, conflict, findResource, invalid, isObject, methodNotSupported, notFound, type ApiObject, type FieldError,
} from "../api/index.ts";
import { serviceAccountClaims, signJwt, uuidFromBytes, type BoundKind, type TokenKey } from "../auth/index.ts";
import type { RandomSource } from "../base/index.ts";
import type { Registry, RequestContext, ResourceHandler, StoreLookup } from "./types.ts";

export interface TokenIssuerConfig {
  readonly key: TokenKey;
  readonly issuer: string;
  /** --api-audiences: the default spec.audiences. */
  readonly audiences: readonly string[];
  /** --service-account-max-token-expiration in seconds (0/undefined: no cap). */
  readonly maxExpirationSeconds?: number;
}

export interface TokenRequestDeps {
  readonly stores: StoreLookup;
  readonly random: RandomSource;
  /** A string: why tokens cannot be issued (no signing key); every TokenRequest answers it. */
  readonly issuer: TokenIssuerConfig | string;
}

const AUTHN = "authentication.k8s.io";
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const BOUND_RESOURCES: Readonly<Record<BoundKind, string>> = { Pod: "pods", Secret: "secrets", Node: "nodes" };

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json => (isObject(v) ? (v as Json) : {});
const str = (o: Json, k: string): string => (typeof o[k] === "string" ? (o[k] as string) : "");
const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** authentication/validation ValidateTokenRequest. */
export function validateTokenRequestSpec(expirationSeconds: number): FieldError[] {
  const errs: FieldError[] = [];
  const field = "spec.expirationSeconds";
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) errs.push({ type: "FieldValueInvalid", field, value: expirationSeconds, detail: "may not specify a duration less than 10 minutes" });
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) errs.push({ type: "FieldValueInvalid", field, value: expirationSeconds, detail: "may not specify a duration larger than 2^32 seconds" });
  return errs;
}

/** The bound object, read and checked as TokenREST does; returns its kind and reference. */
async function boundObject(deps: TokenRequestDeps, namespace: string, saName: string, ref: Json): Promise<{ kind: BoundKind; ref: { name: string; uid: string } } | undefined> {
  if (Object.keys(ref).length === 0) return undefined;
  const [group, version] = str(ref, "apiVersion").includes("/") ? str(ref, "apiVersion").split("/") : ["", str(ref, "apiVersion")];
  const kind = str(ref, "kind");
  const resource = group === "" ? BOUND_RESOURCES[kind as BoundKind] : undefined;
  const info = resource === undefined ? undefined : findResource("", "v1", resource);
  if (info === undefined) throw badRequest(`cannot bind token to object of type ${group ?? ""}/${version ?? ""}, Kind=${kind}`);
  const name = str(ref, "name");
  const obj = await deps.stores(info).get(info.namespaced ? namespace : "", name);
  if (obj === undefined) throw notFound("", info.resource, name);
  if (kind === "Pod" && str(asObject(obj.spec), "serviceAccountName") !== saName) {
    throw badRequest(`cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`);
  }
  const uid = obj.metadata.uid ?? "";
  const want = str(ref, "uid");
  if (want !== "" && want !== uid) {
    throw conflict("", kind, name, `the UID in the bound object reference (${want}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  return { kind: kind as BoundKind, ref: { name, uid } };
}

async function createToken(deps: TokenRequestDeps, ctx: RequestContext, namespace: string, body: ApiObject): Promise<ApiObject> {
  const meta = asObject(body.metadata);
  const name = str(meta, "name");
  const saInfo = findResource("", "v1", "serviceaccounts");
  if (saInfo === undefined) throw new Error("the resource table has no serviceaccounts");
  const sa = await deps.stores(saInfo).get(namespace, name);
  if (sa === undefined) throw notFound("", "serviceaccounts", name);
  if (typeof deps.issuer === "string") throw new ApiError("NotFound", `the server could not find the requested resource (service-account tokens are off: ${deps.issuer})`);
  const cfg = deps.issuer;
  const spec = asObject(body.spec);
  const given = spec["audiences"];
  const audiences = Array.isArray(given) && given.length > 0 ? given.map(String) : [...cfg.audiences];
  let expirationSeconds = typeof spec["expirationSeconds"] === "number" ? spec["expirationSeconds"] : DEFAULT_EXPIRATION_SECONDS;
  const errs = validateTokenRequestSpec(expirationSeconds);
  if (errs.length > 0) throw invalid(AUTHN, "TokenRequest", "", errs);
  const boundRef = asObject(spec["boundObjectRef"]);
  const bound = await boundObject(deps, namespace, name, boundRef);
  const max = cfg.maxExpirationSeconds ?? 0;
  if (max > 0 && expirationSeconds > max) {
    ctx.warnings.push(`requested expiration of ${expirationSeconds} seconds shortened to ${max} seconds`);
    expirationSeconds = max;
  }
  const now = new Date(Math.floor(ctx.now.getTime() / 1000) * 1000);
  const claims = serviceAccountClaims({
    issuer: cfg.issuer, audiences, namespace, serviceAccount: { name, uid: sa.metadata.uid ?? "" }, now, expirationSeconds,
    jti: uuidFromBytes(deps.random.bytes(16)), ...(bound ? { bound } : {}),
  });
  return {
    apiVersion: `${AUTHN}/v1`,
    kind: "TokenRequest",
    metadata: { name, namespace, creationTimestamp: rfc3339(now) },
    spec: { audiences, expirationSeconds, ...(Object.keys(boundRef).length > 0 ? { boundObjectRef: boundRef } : {}) },
    status: { token: signJwt(claims, cfg.key), expirationTimestamp: rfc3339(new Date(now.getTime() + expirationSeconds * 1000)) },
  } as ApiObject;
}

/** The serviceaccounts handler with its "token" subresource: create only (kube: no get/update of it). */
function withToken(h: ResourceHandler, deps: TokenRequestDeps): ResourceHandler {
  const refuse = (verb: string, sub: string | undefined): void => {
    if (sub === "token") throw methodNotSupported("", "serviceaccounts/token", verb);
  };
  return {
    ...h,
    create: (ctx, ns, obj, sub) => (sub === "token" ? createToken(deps, ctx, ns, obj) : h.create(ctx, ns, obj, sub)),
    get: async (ctx, ns, name, sub, params) => (refuse("get", sub), h.get(ctx, ns, name, sub, params)),
    update: async (ctx, ns, name, obj, sub) => (refuse("update", sub), h.update(ctx, ns, name, obj, sub)),
    patch: async (ctx, ns, name, type, patch, opts, sub) => (refuse("patch", sub), h.patch(ctx, ns, name, type, patch, opts, sub)),
  };
}

/** `registry` with TokenRequest on core/v1 serviceaccounts (the resource table lists the subresource). */
export function withTokenRequests(registry: Registry, deps: TokenRequestDeps): Registry {
  const base = registry.handler("", "v1", "serviceaccounts");
  const wrapped = base === undefined ? undefined : withToken(base, deps);
  return {
    resources: () => registry.resources(),
    handler: (group, version, resource) => (group === "" && version === "v1" && resource === "serviceaccounts" ? wrapped : registry.handler(group, version, resource)),
  };
}
