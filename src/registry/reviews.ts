// The review APIs (reference k8s-authn-and-rbac.md §7): create-only, never stored. Each answers with
// the submitted object plus a status computed by the request's authorizer or the rule resolver.
import {
  ApiError,
  findGroupResource,
  invalid,
  isObject,
  methodNotSupported,
  type ApiObject,
  type FieldError,
  type ResourceInfo,
} from "../api/index.ts";
import type { RequestAttributes, RuleResolver, TokenReviewer, UserInfo } from "../auth/index.ts";
import type { RequestContext, ResourceHandler } from "./types.ts";

type Json = Record<string, unknown>;
const AUTHZ = "authorization.k8s.io";

const asObject = (v: unknown): Json => (isObject(v) ? (v as Json) : {});
const isSet = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0) && !(isObject(v) && Object.keys(v).length === 0);

/** ObjectMeta "must be empty" (managedFields and, for the local kind, namespace excepted). */
function metadataErrors(meta: Json, allowNamespace: boolean): FieldError[] {
  const extra = Object.entries(meta).filter(([k, v]) => k !== "managedFields" && !(allowNamespace && k === "namespace") && isSet(v));
  if (extra.length === 0) return [];
  return [{ type: "FieldValueInvalid", field: "metadata", value: meta, detail: allowNamespace ? "must be empty except for namespace" : "must be empty" }];
}

/** ValidateSelfSubjectAccessReviewSpec: exactly one of resourceAttributes / nonResourceAttributes. */
function specErrors(spec: Json): FieldError[] {
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if (isSet(ra) && isSet(nra)) {
    return [{ type: "FieldValueInvalid", field: "spec.nonResourceAttributes", value: nra, detail: "cannot be specified in combination with resourceAttributes" }];
  }
  if (!isSet(ra) && !isSet(nra)) {
    return [{ type: "FieldValueInvalid", field: "spec.resourceAttributes", value: null, detail: "exactly one of nonResourceAttributes or resourceAttributes must be specified" }];
  }
  return [];
}

const s = (o: Json, k: string): string => (typeof o[k] === "string" ? (o[k] as string) : "");

function attributesFor(user: UserInfo, spec: Json): RequestAttributes {
  const ra = asObject(spec.resourceAttributes);
  if (isSet(spec.resourceAttributes)) {
    const group = s(ra, "group");
    const resource = s(ra, "resource");
    // A cluster-scoped resource asked about with a namespace (kubectl sends the context's): ignore it.
    const scoped = findGroupResource(group, resource);
    const namespace = scoped !== undefined && !scoped.namespaced ? "" : s(ra, "namespace");
    return {
      user, verb: s(ra, "verb"), isResourceRequest: true, path: "", apiGroup: group, apiVersion: s(ra, "version"),
      resource, subresource: s(ra, "subresource"), namespace, name: s(ra, "name"),
    };
  }
  const nra = asObject(spec.nonResourceAttributes);
  return {
    user, verb: s(nra, "verb"), isResourceRequest: false, path: s(nra, "path"), apiGroup: "", apiVersion: "",
    resource: "", subresource: "", namespace: "", name: "",
  };
}

async function decide(ctx: RequestContext, attrs: RequestAttributes): Promise<Json> {
  const d = await ctx.authorizer.authorize(attrs);
  return { allowed: d.verdict === "allow", ...(d.verdict === "deny" ? { denied: true } : {}), ...(d.reason ? { reason: d.reason } : {}) };
}

function userFromSpec(spec: Json): UserInfo {
  const groups = Array.isArray(spec.groups) ? spec.groups.map(String) : [];
  return { name: s(spec, "user"), ...(s(spec, "uid") ? { uid: s(spec, "uid") } : {}), groups, extra: asObject(spec.extra) as UserInfo["extra"] };
}

type Review = (ctx: RequestContext, namespace: string, body: Json, info: ResourceInfo) => Promise<Json>;

/** What a review needs beyond the request's authorizer. */
export interface ReviewDeps {
  readonly tokenReview?: TokenReviewer;
}

/** TokenReview (tokenreview/storage.go Create): 400 without spec.token; the token goes through the bearer-token
 *  chain only. kube's TokenReviewStatus JSON: authenticated/error/audiences omitempty, user always (`{}`). */
function tokenReview(check: TokenReviewer | undefined): Review {
  return async (_ctx, _ns, body) => {
    const spec = asObject(body.spec);
    const token = s(spec, "token");
    if (token === "") throw new ApiError("BadRequest", "token is required for TokenReview in authentication");
    if (check === undefined) throw new ApiError("ServiceUnavailable", "TokenReview is not available: this server has no bearer-token authenticator to check tokens with");
    const audiences = Array.isArray(spec.audiences) ? spec.audiences.filter((a): a is string => typeof a === "string") : [];
    const r = await check(token, audiences);
    if (!r.authenticated) return { spec, status: { user: {}, ...(r.error ? { error: r.error } : {}) } };
    const u = r.user;
    const user: Json = { username: u.name, ...(u.uid ? { uid: u.uid } : {}), ...(u.groups.length > 0 ? { groups: [...u.groups] } : {}) };
    if (Object.keys(u.extra).length > 0) user.extra = u.extra;
    return { spec, status: { authenticated: true, user, ...(r.audiences.length > 0 ? { audiences: [...r.audiences] } : {}) } };
  };
}

const REVIEWS: Readonly<Record<string, (rules: RuleResolver, deps: ReviewDeps) => Review>> = {
  selfsubjectaccessreviews: () => async (ctx, _ns, body, info) => {
    const spec = asObject(body.spec);
    const errs = [...metadataErrors(asObject(body.metadata), false), ...specErrors(spec)];
    if (errs.length > 0) throw invalid(AUTHZ, info.kind, "", errs);
    return { spec, status: await decide(ctx, attributesFor(ctx.user, spec)) };
  },
  subjectaccessreviews: () => async (ctx, _ns, body, info) => {
    const spec = asObject(body.spec);
    const errs = [...metadataErrors(asObject(body.metadata), false), ...specErrors(spec)];
    if (!isSet(spec.user) && !isSet(spec.groups)) {
      errs.push({ type: "FieldValueInvalid", field: "spec.user", value: "", detail: "at least one of user or group must be specified" });
    }
    if (errs.length > 0) throw invalid(AUTHZ, info.kind, "", errs);
    return { spec, status: await decide(ctx, attributesFor(userFromSpec(spec), spec)) };
  },
  localsubjectaccessreviews: () => async (ctx, namespace, body, info) => {
    const spec = asObject(body.spec);
    const meta = asObject(body.metadata);
    const errs = [...metadataErrors(meta, true), ...specErrors(spec)];
    if (!isSet(spec.user) && !isSet(spec.groups)) {
      errs.push({ type: "FieldValueInvalid", field: "spec.user", value: "", detail: "at least one of user or group must be specified" });
    }
    const ra = asObject(spec.resourceAttributes);
    if (isSet(spec.resourceAttributes) && s(ra, "namespace") !== namespace) {
      errs.push({ type: "FieldValueInvalid", field: "spec.resourceAttributes.namespace", value: s(ra, "namespace"), detail: "must match metadata.namespace" });
    }
    if (isSet(spec.nonResourceAttributes)) {
      errs.push({ type: "FieldValueInvalid", field: "spec.nonResourceAttributes", value: spec.nonResourceAttributes, detail: "disallowed on this kind of request" });
    }
    if (errs.length > 0) throw invalid(AUTHZ, info.kind, "", errs);
    return { metadata: { ...meta, namespace }, spec, status: await decide(ctx, attributesFor(userFromSpec(spec), spec)) };
  },
  selfsubjectrulesreviews: (rules) => async (ctx, _ns, body) => {
    const spec = asObject(body.spec);
    const namespace = s(spec, "namespace");
    if (namespace === "") throw new ApiError("BadRequest", "no namespace on request");
    const r = rules.rulesFor(ctx.user, namespace);
    const status: Json = { resourceRules: r.resourceRules, nonResourceRules: r.nonResourceRules, incomplete: r.incomplete };
    if (r.evaluationError) status.evaluationError = r.evaluationError;
    return { spec, status };
  },
  tokenreviews: (_rules, deps) => tokenReview(deps.tokenReview),
  selfsubjectreviews: () => async (ctx) => {
    const u = ctx.user;
    const userInfo: Json = { username: u.name, ...(u.uid ? { uid: u.uid } : {}), groups: [...u.groups] };
    if (Object.keys(u.extra).length > 0) userInfo.extra = u.extra;
    return { metadata: { creationTimestamp: ctx.now.toISOString().replace(/\.\d{3}Z$/, "Z") }, status: { userInfo } };
  },
};

export function createReviewHandler(info: ResourceInfo, rules: RuleResolver, deps: ReviewDeps = {}): ResourceHandler {
  const factory = REVIEWS[info.resource];
  if (factory === undefined) throw new Error(`no review handler for ${info.resource}`);
  const review = factory(rules, deps);
  const unsupported = (verb: string) => (): never => {
    throw methodNotSupported(info.group, info.resource, verb);
  };
  return {
    info,
    async create(ctx, namespace, raw) {
      if (ctx.user.name === "" && ctx.user.groups.length === 0) throw new ApiError("BadRequest", "no user present on request");
      const body = asObject(raw);
      const out = await review(ctx, namespace, body, info);
      const apiVersion = `${info.group}/${info.version}`;
      return { apiVersion, kind: info.kind, metadata: asObject(body.metadata), ...out } as ApiObject;
    },
    get: unsupported("get"),
    list: unsupported("list"),
    update: unsupported("update"),
    patch: unsupported("patch"),
    delete: unsupported("delete"),
    deleteCollection: unsupported("deletecollection"),
    watch: unsupported("watch"),
  };
}
