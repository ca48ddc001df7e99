// The registry ↔ server seam (docs/CONTRACTS.md "registry/ ↔ server/"). The server authenticates and
// authorizes the request, decodes the body into a plain object and calls one ResourceHandler method;
// handlers throw ApiError and the server maps it to a Status (server/status.ts).
import type { ApiList, ApiObject, FieldError, ResourceInfo } from "../api/index.ts";
import type { Authorizer, RuleResolver, TokenReviewer, UserInfo } from "../auth/index.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import type { Store, Ticker, WatchEvent } from "../storage/index.ts";
import type { ServiceIpRange } from "./service-ip.ts";

export interface RequestContext {
  user: UserInfo;
  authorizer: Authorizer;
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: "Strict" | "Warn" | "Ignore" | undefined;
  now: Date;
  /** Warning headers to send (fieldValidation=Warn, deprecations). */
  warnings: string[];
}

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks?: boolean;
  /** Watch only (WatchList): true = the current state as ADDED events and an initial-events-end
   *  BOOKMARK first; false = changes only. */
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

/** GET query parameters (kube's GetOptions). */
export interface GetParams {
  /** "" = the latest; "0" = any (served from a watch cache as it is); "N" = not older than N. */
  resourceVersion?: string;
}

export type PatchType = "json" | "merge" | "strategic" | "apply";

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ResourceHandler {
  readonly info: ResourceInfo;
  create(ctx: RequestContext, namespace: string, obj: ApiObject, subresource?: string): Promise<ApiObject>;
  get(ctx: RequestContext, namespace: string, name: string, subresource?: string, params?: GetParams): Promise<ApiObject>;
  list(ctx: RequestContext, namespace: string, params: ListParams): Promise<ApiList>;
  update(ctx: RequestContext, namespace: string, name: string, obj: ApiObject, subresource?: string): Promise<ApiObject>;
  patch(
    ctx: RequestContext,
    namespace: string,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: { force?: boolean },
    subresource?: string,
  ): Promise<ApiObject>;
  delete(ctx: RequestContext, namespace: string, name: string, options: DeleteOptions): Promise<ApiObject>;
  deleteCollection(ctx: RequestContext, namespace: string, params: ListParams): Promise<ApiList>;
  watch(ctx: RequestContext, namespace: string, params: ListParams, signal: AbortSignal): AsyncIterable<WatchEvent>;
}

export interface Registry {
  handler(group: string, version: string, resource: string): ResourceHandler | undefined;
  resources(): readonly ResourceInfo[];
}

/** One Store per stored resource; callers memoize (createRegistry calls it once per row). */
export type StoreLookup = (info: ResourceInfo) => Store;

export interface RegistryOptions {
  stores: StoreLookup;
  authorizer: Authorizer;
  rules: RuleResolver;
  clock: Clock;
  random: RandomSource;
  /** Handlers that replace or add to the generic ones (matched by info group/version/resource). */
  extraHandlers?: ResourceHandler[];
  /** Ticks for watch BOOKMARK events (allowWatchBookmarks); none = no bookmarks. */
  bookmarks?: Ticker;
  /** kube-apiserver's --service-cluster-ip-range (service-ip.ts); default 10.96.0.0/12 (kubeadm's). */
  serviceIpRange?: ServiceIpRange;
  /** The server's bearer-token authenticators for authentication.k8s.io/v1 TokenReview (main/ builds it
   *  from the token file and the service-account keys); none = TokenReview answers 503. */
  tokenReview?: TokenReviewer;
}

/** What a begin hook claimed for one write (kube's BeginCreate/BeginUpdate and their FinishFunc). */
export interface WriteClaim<T extends ApiObject = ApiObject> {
  /** The object to persist instead of the one the hook was given (e.g. with an allocated field). */
  readonly obj?: T;
  /** Called exactly once after the write: ok = false when nothing was persisted (the write failed,
   *  lost a conflict — a retried patch begins again — or was a dry run): give back what was claimed;
   *  ok = true: release what the stored object no longer holds. Must not reject: the write's outcome
   *  stands whatever happens here. */
  finish(ok: boolean): Promise<void>;
}

/** Per-kind rules (DESIGN.md ResourceStrategy). Every hook is optional, and a kind without one pays
 *  nothing for it. prepare/validate are pure; admit and the lifecycle hooks may read and write storage. */
export interface ResourceStrategy<T extends ApiObject = ApiObject> {
  prepareForCreate?(obj: T, ctx: RequestContext): T;
  /** subresource is "" for the main resource, else "status", "approval", … */
  prepareForUpdate?(next: T, current: T, ctx: RequestContext, subresource: string): T;
  validate?(obj: T): FieldError[];
  validateUpdate?(next: T, current: T, subresource: string): FieldError[];
  /** Additional authorization/admission; throws ApiError (Forbidden). */
  admit?(obj: T, current: T | undefined, ctx: RequestContext, op: "create" | "update" | "delete", subresource: string): Promise<void>;
  /** Runs after validation and admission, just before a create is persisted (not for subresources).
   *  ctx.dryRun: check (and throw) as for a real write but claim nothing. */
  beginCreate?(obj: T, ctx: RequestContext): Promise<WriteClaim<T> | undefined>;
  /** As beginCreate, for every update of an existing object (PUT, PATCH — once per attempt — /scale
   *  and subresources; `subresource` says which). */
  beginUpdate?(next: T, current: T, ctx: RequestContext, subresource: string): Promise<WriteClaim<T> | undefined>;
  /** The object is gone from storage (DELETE, deletecollection, the last finalizer removed from an
   *  object being deleted, a namespace's content removed with it). Never on dry run. Must not reject. */
  afterDelete?(deleted: T, ctx: RequestContext): Promise<void>;
  /** kube's AllowCreateOnUpdate: PUT of a missing object creates it (rbac kinds, events, leases). */
  allowCreateOnUpdate?: boolean;
  /** Subresources this strategy handles itself in prepareForUpdate (e.g. CSR "approval"). */
  subresources?: readonly string[];
}

/** Context a strategy's admit() may need beyond the request (reading other objects). */
export interface AdmissionDeps {
  readonly stores: StoreLookup;
  readonly rules: RuleResolver;
  /** Where Services' ClusterIPs come from and must lie. */
  readonly serviceIpRange: ServiceIpRange;
}
