// The generic REST handler over a Store (apiserver/pkg/registry/generic/registry/store.go + the
// endpoint handlers' checks): create, get, update, patch, delete; list/watch live in handler-read.ts.
// Order per write, as kube: decode checks → defaulting (prepare) → validation → admission → persist.
import {
  ApiError,
  conflict,
  forbidden,
  invalid,
  isObject,
  methodNotSupported,
  notFound,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type ApiObject,
  type FieldError,
  type ResourceInfo,
} from "../api/index.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import type { Store, Ticker } from "../storage/index.ts";
import { applyPatchDocument, applyScalePatch, pinnedResourceVersion } from "./handler-patch.ts";
import { fromScale, toScale } from "./scale.ts";
import { deleteCollection, list, watch } from "./handler-read.ts";
import { IMMORTAL_NAMESPACES } from "./kinds.ts";
import {
  checkBody,
  checkPatchedName,
  checkUnknownFields,
  generateName,
  mapStorage,
  reconcileName,
  reconcileNamespace,
  recordManager,
  specOf,
} from "./objects.ts";
import type { DeleteOptions, GetParams, PatchType, RequestContext, ResourceHandler, ResourceStrategy, WriteClaim } from "./types.ts";

export interface HandlerDeps {
  readonly store: Store;
  /** The namespaces store: a namespaced create needs its namespace to exist. */
  readonly namespaces: Store;
  readonly strategy: ResourceStrategy;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Deletes every namespaced object in a namespace (namespace delete cascades). */
  readonly cascade?: (namespace: string, ctx: RequestContext) => Promise<void>;
  readonly bookmarks?: Ticker;
}

const SYSTEM_FIELDS = ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] as const;

function throwIfInvalid(info: ResourceInfo, name: string, errs: FieldError[]): void {
  if (errs.length > 0) throw invalid(info.group, info.kind, name, errs);
}

export function createResourceHandler(info: ResourceInfo, deps: HandlerDeps): ResourceHandler {
  const { store, strategy } = deps;
  const subresourceOk = (sub: string | undefined): string => {
    const s = sub ?? "";
    if (s !== "" && !info.subresources.includes(s)) throw new ApiError("NotFound", `the server could not find the requested resource`);
    return s;
  };
  const current = async (namespace: string, name: string, params: GetParams = {}): Promise<ApiObject> => {
    const obj = await mapStorage(info, name, () => store.get(info.namespaced ? namespace : "", name, params));
    if (obj === undefined) throw notFound(info.group, info.resource, name);
    return obj;
  };

  /**
   * kube's GuaranteedUpdate around one PUT or PATCH: `attempt` first runs on the stored object as a
   * watch cache holds it (resourceVersion "0": no etcd round trip), since the write is compare-and-swap
   * on its resourceVersion. An error on that copy stands only if the latest state has the same
   * resourceVersion (kube's origStateIsCurrent); otherwise the attempt runs again on the latest. A lost
   * race (Conflict) on the latest state is retried `retries` times. On SQLite the first read is the latest.
   */
  async function guaranteedUpdate(namespace: string, name: string, retries: number, attempt: (cur: ApiObject | undefined) => Promise<ApiObject>): Promise<ApiObject> {
    const read = (params: GetParams): Promise<ApiObject | undefined> => mapStorage(info, name, () => store.get(info.namespaced ? namespace : "", name, params));
    let cur = await read({ resourceVersion: "0" });
    let stale = true;
    for (let lost = 0; ; ) {
      try {
        return await attempt(cur);
      } catch (err) {
        const retry = !stale && err instanceof ApiError && err.code === "Conflict" && lost++ < retries;
        if (!stale && !retry) throw err;
        const latest = await read({});
        if (stale && latest?.metadata.resourceVersion === cur?.metadata.resourceVersion) throw err;
        stale = false;
        cur = latest;
      }
    }
  }

  async function persistCreate(ctx: RequestContext, obj: ApiObject, operation: "Update" | "Apply", applied?: unknown): Promise<ApiObject> {
    for (const f of SYSTEM_FIELDS) delete obj.metadata[f];
    delete obj.metadata.managedFields;
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    if (generated) obj.metadata.name = generateName(obj.metadata.generateName ?? "", deps.random);
    const namespace = obj.metadata.namespace ?? "";
    if (info.namespaced && namespace !== "") await checkNamespaceLifecycle(info, deps.namespaces, namespace, obj.metadata.name ?? "");
    if (info.subresources.includes("status")) delete obj.status;
    const next = strategy.prepareForCreate ? strategy.prepareForCreate(obj, ctx) : obj;
    if (next.spec !== undefined) next.metadata.generation = 1;
    const name = next.metadata.name ?? "";
    throwIfInvalid(info, name, [...validateObjectMeta(next.metadata, info), ...(strategy.validate?.(next) ?? [])]);
    await strategy.admit?.(next, undefined, ctx, "create", "");
    const claim = strategy.beginCreate ? await strategy.beginCreate(next, ctx) : undefined;
    const toStore = claim?.obj ?? next;
    return settle(claim, ctx.dryRun, async () => {
      recordManager(info, toStore, ctx, operation, "", undefined, applied);
      if (ctx.dryRun) return { ...toStore, metadata: { ...toStore.metadata, uid: toStore.metadata.uid ?? dryRunUid(deps.random), creationTimestamp: rfc3339(ctx.now) } };
      try {
        return await mapStorage(info, name, () => store.create(toStore));
      } catch (err) {
        // errors.NewGenerateNameConflict: the client should retry.
        if (!generated || !(err instanceof ApiError && err.code === "AlreadyExists")) throw err;
        throw new ApiError("AlreadyExists", `${err.message}, the server was not able to generate a unique name for the object`, { ...err.details, retryAfterSeconds: 1 });
      }
    });
  }

  async function persistUpdate(
    ctx: RequestContext,
    cur: ApiObject,
    incoming: ApiObject,
    sub: string,
    operation: "Update" | "Apply",
    applied?: unknown,
    managedAs = sub,
  ): Promise<ApiObject> {
    let next = mergeForSubresource(info, strategy, cur, incoming, sub);
    next.metadata = { ...next.metadata, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, resourceVersion: cur.metadata.resourceVersion };
    if (cur.metadata.deletionTimestamp) next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    if (strategy.prepareForUpdate) next = strategy.prepareForUpdate(next, cur, ctx, sub);
    const generation = cur.metadata.generation;
    if (generation !== undefined) next.metadata.generation = specOf(next) !== specOf(cur) ? generation + 1 : generation;
    const name = cur.metadata.name ?? "";
    throwIfInvalid(info, name, [
      ...validateObjectMeta(next.metadata, info),
      ...validateObjectMetaUpdate(next.metadata, cur.metadata),
      ...(strategy.validateUpdate ? strategy.validateUpdate(next, cur, sub) : (strategy.validate?.(next) ?? [])),
    ]);
    await strategy.admit?.(next, cur, ctx, "update", sub);
    const claim = strategy.beginUpdate ? await strategy.beginUpdate(next, cur, ctx, sub) : undefined;
    const toStore = claim?.obj ?? next;
    const saved = await settle(claim, ctx.dryRun, async () => {
      recordManager(info, toStore, ctx, operation, managedAs, cur, applied);
      return ctx.dryRun ? toStore : mapStorage(info, name, () => store.update(toStore));
    });
    // Finalizers gone on an object being deleted: the delete completes now (generic store's behaviour).
    if (!ctx.dryRun && saved.metadata.deletionTimestamp && (saved.metadata.finalizers ?? []).length === 0) {
      return removed(ctx, saved, () => store.delete(saved.metadata.namespace ?? "", name, saved.metadata.resourceVersion));
    }
    return saved;
  }

  /** Deletes from storage, then the strategy's afterDelete (kube's AfterDelete). */
  async function removed(ctx: RequestContext, cur: ApiObject, del: () => Promise<ApiObject>): Promise<ApiObject> {
    const gone = await mapStorage(info, cur.metadata.name ?? "", del);
    if (strategy.afterDelete) await strategy.afterDelete(gone, ctx);
    return gone;
  }

  /** /scale: the Scale (as sent, or patched) sets the parent's replicas through a normal update. */
  async function scaleUpdate(ctx: RequestContext, namespace: string, name: string, next: (scale: ApiObject) => unknown): Promise<ApiObject> {
    const cur = await current(namespace, name);
    const scale = next(toScale(cur));
    const rv = isObject(scale) && isObject(scale.metadata) ? scale.metadata.resourceVersion : undefined;
    if (typeof rv === "string" && rv !== "" && rv !== cur.metadata.resourceVersion) {
      throw conflict(info.group, info.resource, name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    // The parent is written as a main-resource update, but the change is the /scale request's: kube's
    // ScaleHandler records it as an Update with subresource "scale" (owning .spec.replicas).
    return toScale(await persistUpdate(ctx, cur, fromScale(cur, scale), "", "Update", undefined, "scale"));
  }

  /** kube's namespace deletion, synchronously: the namespace turns Terminating (so controllers and
   *  NamespaceLifecycle admission stop putting content in it), its content goes, then the namespace
   *  unless metadata.finalizers hold it (it stays Terminating until they are removed); a last sweep
   *  removes what a controller created between its check and the Terminating write. */
  async function deleteNamespace(ctx: RequestContext, cur: ApiObject, cascade: NonNullable<HandlerDeps["cascade"]>): Promise<ApiObject> {
    const name = cur.metadata.name ?? "";
    const status = { ...(isObject(cur.status) ? cur.status : {}), phase: "Terminating" };
    const deletionTimestamp = cur.metadata.deletionTimestamp ?? rfc3339(ctx.now);
    const terminating = await mapStorage(info, name, () => store.update({ ...cur, metadata: { ...cur.metadata, deletionTimestamp, deletionGracePeriodSeconds: 0 }, status }));
    await cascade(name, ctx);
    if ((terminating.metadata.finalizers ?? []).length > 0) return terminating;
    const gone = await removed(ctx, terminating, () => store.delete("", name, terminating.metadata.resourceVersion));
    await cascade(name, ctx);
    return gone;
  }

  const handler: ResourceHandler = {
    info,
    async create(ctx, namespace, raw, subresource) {
      if ((subresource ?? "") !== "") throw methodNotSupported(info.group, `${info.resource}/${subresource ?? ""}`, "create");
      const obj = checkBody(info, structuredClone(raw));
      checkUnknownFields(ctx, info, obj);
      reconcileNamespace(info, obj, namespace);
      return persistCreate(ctx, obj, "Update");
    },

    async get(_ctx, namespace, name, subresource, params) {
      const sub = subresourceOk(subresource);
      const obj = await current(namespace, name, params);
      return sub === "scale" ? toScale(obj) : obj;
    },

    list: (ctx, namespace, params) => list(info, store, namespace, params),
    watch: (ctx, namespace, params, signal) => watch(info, store, namespace, params, signal, deps.bookmarks),
    deleteCollection: (ctx, namespace, params) => deleteCollection(info, store, namespace, params, (o) => handler.delete(ctx, o.metadata.namespace ?? "", o.metadata.name ?? "", {})),

    async update(ctx, namespace, name, raw, subresource) {
      const sub = subresourceOk(subresource);
      if (sub === "scale") return scaleUpdate(ctx, namespace, name, () => raw);
      const obj = checkBody(info, structuredClone(raw));
      checkUnknownFields(ctx, info, obj);
      reconcileNamespace(info, obj, namespace);
      reconcileName(obj, name);
      const rv = obj.metadata.resourceVersion;
      const pinned = rv !== undefined && rv !== "";
      // A PUT without a resourceVersion is unconditional: a race lost to another writer is retried on
      // the new state instead of answered 409 (100 times, as the Store's guaranteedUpdate).
      return guaranteedUpdate(namespace, name, pinned ? 0 : 99, async (cur) => {
        if (cur === undefined) {
          if (sub === "" && strategy.allowCreateOnUpdate) return persistCreate(ctx, structuredClone(obj), "Update");
          throw notFound(info.group, info.resource, name);
        }
        if (pinned && rv !== cur.metadata.resourceVersion) {
          throw conflict(info.group, info.resource, name, "the object has been modified; please apply your changes to the latest version and try again");
        }
        return persistUpdate(ctx, cur, structuredClone(obj), sub, "Update");
      });
    },

    async patch(ctx, namespace, name, type: PatchType, patch, opts, subresource) {
      const sub = subresourceOk(subresource);
      if (sub === "scale") return scaleUpdate(ctx, namespace, name, (scale) => applyScalePatch(scale, type, patch));
      // kube's patcher retries on a lost race (5 times) unless the patch itself pinned a resourceVersion.
      const pinned = pinnedResourceVersion(type, patch) !== undefined;
      return guaranteedUpdate(namespace, name, pinned ? 0 : 4, async (cur) => {
        if (cur === undefined) {
          if (type !== "apply" || sub !== "") throw notFound(info.group, info.resource, name);
          const obj = checkBody(info, structuredClone(patch));
          checkUnknownFields(ctx, info, obj);
          reconcileNamespace(info, obj, namespace);
          reconcileName(obj, name);
          return persistCreate(ctx, obj, "Apply", patch);
        }
        const next = applyPatchDocument(info, cur, type, patch, { ctx, subresource: sub, force: opts.force === true });
        checkPatchedName(info, next, name, namespace);
        checkUnknownFields(ctx, info, next);
        reconcileNamespace(info, next, namespace);
        // An apply's managedFields were settled with its conflicts in applyPatchDocument.
        return persistUpdate(ctx, cur, next, sub, type === "apply" ? "Apply" : "Update", type === "apply" ? next.metadata.managedFields : undefined);
      });
    },

    async delete(ctx, namespace, name, options: DeleteOptions) {
      const cur = await current(namespace, name);
      checkPreconditions(info, cur, options);
      if (info.group === "" && info.resource === "namespaces" && IMMORTAL_NAMESPACES.includes(name)) {
        throw forbidden("", "namespaces", name, "this namespace may not be deleted");
      }
      await strategy.admit?.(cur, cur, ctx, "delete", "");
      if (deps.cascade !== undefined && !ctx.dryRun) return deleteNamespace(ctx, cur, deps.cascade);
      if ((cur.metadata.finalizers ?? []).length > 0) {
        if (cur.metadata.deletionTimestamp || ctx.dryRun) return cur;
        const marked = { ...cur, metadata: { ...cur.metadata, deletionTimestamp: rfc3339(ctx.now), deletionGracePeriodSeconds: 0 } };
        return mapStorage(info, name, () => store.update(marked));
      }
      if (ctx.dryRun) return cur;
      return removed(ctx, cur, () => store.delete(cur.metadata.namespace ?? "", name, cur.metadata.resourceVersion));
    },
  };
  return handler;
}

/** Runs a write between a begin hook's claim and its finish: finish(false) when the write throws or
 *  is a dry run (nothing persisted), finish(true) once it is stored. No claim: just the write. */
async function settle<R>(claim: WriteClaim | undefined, dryRun: boolean, write: () => Promise<R>): Promise<R> {
  if (claim === undefined) return write();
  let out: R;
  try {
    out = await write();
  } catch (err) {
    await claim.finish(false);
    throw err;
  }
  await claim.finish(!dryRun);
  return out;
}

/** Which parts of an update apply: /status changes only status; the main resource keeps status when
 *  the kind has a status subresource; other subresources are the strategy's (CSR approval). */
function mergeForSubresource(info: ResourceInfo, strategy: ResourceStrategy, cur: ApiObject, incoming: ApiObject, sub: string): ApiObject {
  if (sub === "status") {
    return { ...structuredClone(cur), status: incoming.status };
  }
  if (sub === "" && info.subresources.includes("status") && !(strategy.subresources ?? []).includes("status")) {
    const next = { ...incoming };
    if (cur.status === undefined) delete next.status;
    else next.status = cur.status;
    return next;
  }
  return incoming;
}

/** NamespaceLifecycle admission: no content in a namespace that does not exist or is being deleted. */
async function checkNamespaceLifecycle(info: ResourceInfo, namespaces: Store, namespace: string, name: string): Promise<void> {
  const ns = await namespaces.get("", namespace);
  if (ns === undefined) throw notFound("", "namespaces", namespace);
  const phase = isObject(ns.status) ? ns.status.phase : undefined;
  if (ns.metadata.deletionTimestamp || phase === "Terminating") {
    throw forbidden(info.group, info.resource, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}

function checkPreconditions(info: ResourceInfo, cur: ApiObject, options: DeleteOptions): void {
  const p = options.preconditions;
  const name = cur.metadata.name ?? "";
  if (p?.uid && p.uid !== cur.metadata.uid) {
    throw conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${cur.metadata.uid ?? ""}`);
  }
  if (p?.resourceVersion && p.resourceVersion !== cur.metadata.resourceVersion) {
    throw conflict(
      info.group,
      info.resource,
      name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ""}`,
    );
  }
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function dryRunUid(random: RandomSource): string {
  const b = random.bytes(16);
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

