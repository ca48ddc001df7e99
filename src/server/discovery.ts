// Discovery and OpenAPI documents generated from the resource table (kubectl-protocol.md §1–§2):
// aggregated v2 (`/api`, `/apis` with the exact Content-Type params), the legacy documents, and the
// minimal OpenAPI v3 kubectl needs to switch on server-side field validation. Built once per server
// (the table is static) and served as pre-serialised strings.
import { apiVersionOf, type ResourceInfo } from "../api/index.ts";
import { openapiV2Protobuf } from "./openapi-v2.ts";

/** kube-apiserver's /version. minor "32" makes the installed kubectl dispatcher run its own v1.32 client (§0). */
export const VERSION_INFO = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.4",
  gitCommit: "kpki",
  gitTreeState: "clean",
  buildDate: "2025-01-01T00:00:00Z",
  goVersion: "go1.23.8",
  compiler: "gc",
  platform: "linux/amd64",
};

export const AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
export const AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
const SUBRESOURCE_VERBS = ["get", "patch", "update"];
type Gvk = { readonly group: string; readonly version: string; readonly kind: string };
/** Subresources whose kind or verbs are not their parent's get/patch/update (kube-apiserver 1.32's
 *  discovery): client-go's scale client reads the Scale kind from here. */
const SUBRESOURCES: Readonly<Record<string, { readonly kind?: Gvk; readonly verbs: readonly string[] }>> = {
  scale: { kind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: SUBRESOURCE_VERBS },
  token: { kind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" }, verbs: ["create"] },
  finalize: { verbs: ["update"] },
};
const subresource = (r: ResourceInfo, s: string): { kind: Gvk; verbs: readonly string[] } => ({
  kind: SUBRESOURCES[s]?.kind ?? responseKind(r),
  verbs: SUBRESOURCES[s]?.verbs ?? SUBRESOURCE_VERBS,
});

interface GroupVersion {
  readonly group: string;
  readonly version: string;
  readonly resources: readonly ResourceInfo[];
}

/** The pre-rendered documents, keyed by URL path. */
export interface DiscoveryDocs {
  /** Legacy JSON bodies by path (/api, /apis, /api/v1, /apis/g, /apis/g/v). */
  readonly legacy: ReadonlyMap<string, string>;
  readonly aggregatedCore: { readonly v2: string; readonly v2beta1: string };
  readonly aggregatedGroups: { readonly v2: string; readonly v2beta1: string };
  /** /openapi/v3 and /openapi/v3/<gv path>. */
  readonly openapi: ReadonlyMap<string, string>;
  /** /openapi/v2 in gnostic protobuf (kubectl ≤ 1.27's field-validation probe). */
  readonly openapiV2: Uint8Array;
}

function groupVersions(resources: readonly ResourceInfo[]): GroupVersion[] {
  const out: GroupVersion[] = [];
  for (const r of resources) {
    const gv = out.find((g) => g.group === r.group && g.version === r.version);
    if (gv) (gv.resources as ResourceInfo[]).push(r);
    else out.push({ group: r.group, version: r.version, resources: [r] });
  }
  // Core group first, like kube-apiserver.
  return out.sort((a, b) => (a.group === "" ? -1 : b.group === "" ? 1 : 0));
}

function responseKind(r: ResourceInfo): Gvk {
  return { group: r.group, version: r.version, kind: r.kind };
}

function aggregatedResource(r: ResourceInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    resource: r.resource,
    responseKind: responseKind(r),
    scope: r.namespaced ? "Namespaced" : "Cluster",
    singularResource: r.singular,
  };
  if (r.shortNames.length > 0) out["shortNames"] = r.shortNames;
  out["verbs"] = r.verbs;
  if (r.categories && r.categories.length > 0) out["categories"] = r.categories;
  if (r.subresources.length > 0) {
    out["subresources"] = r.subresources.map((s) => {
      const sub = subresource(r, s);
      return { subresource: s, responseKind: sub.kind, verbs: sub.verbs };
    });
  }
  return out;
}

/** Group versions grouped by group, in table order: the first version of a group is its preferred one. */
function byGroup(gvs: readonly GroupVersion[]): GroupVersion[][] {
  const out = new Map<string, GroupVersion[]>();
  for (const gv of gvs) out.set(gv.group, [...(out.get(gv.group) ?? []), gv]);
  return [...out.values()];
}

function aggregatedList(gvs: readonly GroupVersion[], version: "v2" | "v2beta1"): string {
  const items = byGroup(gvs).map((versions) => ({
    metadata: versions[0]?.group ? { name: versions[0].group } : {},
    versions: versions.map((gv) => ({ version: gv.version, resources: gv.resources.map(aggregatedResource), freshness: "Current" })),
  }));
  return JSON.stringify({ kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items });
}

function resourceList(gv: GroupVersion): string {
  const resources: Record<string, unknown>[] = [];
  for (const r of gv.resources) {
    const entry: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
    if (r.shortNames.length > 0) entry["shortNames"] = r.shortNames;
    if (r.categories && r.categories.length > 0) entry["categories"] = r.categories;
    resources.push(entry);
    for (const s of r.subresources) {
      const sub = subresource(r, s);
      // The group and version are named only when they are not the list's (kube's APIResource).
      const other = sub.kind.group !== r.group || sub.kind.version !== r.version ? { group: sub.kind.group, version: sub.kind.version } : {};
      resources.push({ name: `${r.resource}/${s}`, singularName: "", namespaced: r.namespaced, ...other, kind: sub.kind.kind, verbs: sub.verbs });
    }
  }
  return JSON.stringify({ kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersionOf(gv.group, gv.version), resources });
}

function apiGroup(versions: readonly GroupVersion[]): Record<string, unknown> {
  const vs = versions.map((gv) => ({ groupVersion: `${gv.group}/${gv.version}`, version: gv.version }));
  return { name: versions[0]?.group ?? "", versions: vs, preferredVersion: vs[0] };
}

function openapiGroupVersion(gv: GroupVersion): string {
  const paths: Record<string, unknown> = {};
  const prefix = gv.group === "" ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;
  for (const r of gv.resources) {
    const path = `${prefix}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}/{name}`;
    // kubectl looks only for a PATCH tagged with the GVK that lists `fieldValidation` (§2); no
    // components.schemas, so it keeps its compiled-in types for strategic merge patches.
    paths[path] = {
      patch: {
        operationId: `patch${r.kind}`,
        "x-kubernetes-group-version-kind": responseKind(r),
        "x-kubernetes-action": "patch",
        parameters: ["dryRun", "fieldManager", "fieldValidation", "force"].map((name) => ({
          name,
          in: "query",
          schema: { type: name === "force" ? "boolean" : "string", uniqueItems: true },
        })),
        responses: { "200": { description: "OK" } },
      },
    };
  }
  return JSON.stringify({ openapi: "3.0.0", info: { title: "Kubernetes", version: VERSION_INFO.gitVersion }, paths });
}

export function buildDiscovery(resources: readonly ResourceInfo[], serverAddress: string): DiscoveryDocs {
  const gvs = groupVersions(resources);
  const core = gvs.filter((g) => g.group === "");
  const groups = gvs.filter((g) => g.group !== "");
  const legacy = new Map<string, string>();
  legacy.set(
    "/api",
    JSON.stringify({
      kind: "APIVersions",
      versions: core.map((g) => g.version),
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
    }),
  );
  const grouped = byGroup(groups);
  legacy.set("/apis", JSON.stringify({ kind: "APIGroupList", apiVersion: "v1", groups: grouped.map(apiGroup) }));
  for (const versions of grouped) legacy.set(`/apis/${versions[0]?.group ?? ""}`, JSON.stringify({ kind: "APIGroup", apiVersion: "v1", ...apiGroup(versions) }));
  const openapiRoot: Record<string, { serverRelativeURL: string }> = {};
  const openapi = new Map<string, string>();
  for (const gv of gvs) {
    const rel = gv.group === "" ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
    legacy.set(`/${rel}`, resourceList(gv));
    openapiRoot[rel] = { serverRelativeURL: `/openapi/v3/${rel}` };
    openapi.set(`/openapi/v3/${rel}`, openapiGroupVersion(gv));
  }
  openapi.set("/openapi/v3", JSON.stringify({ paths: openapiRoot }));
  return {
    legacy,
    aggregatedCore: { v2: aggregatedList(core, "v2"), v2beta1: aggregatedList(core, "v2beta1") },
    aggregatedGroups: { v2: aggregatedList(groups, "v2"), v2beta1: aggregatedList(groups, "v2beta1") },
    openapi,
    openapiV2: openapiV2Protobuf(resources, VERSION_INFO.gitVersion),
  };
}

/** Which aggregated discovery version the Accept header asks for first, if any. */
export function aggregatedVersion(accept: string | undefined): "v2" | "v2beta1" | undefined {
  if (accept === undefined || !accept.includes("APIGroupDiscoveryList")) return undefined;
  for (const clause of accept.split(",")) {
    const params = clause.split(";").map((p) => p.trim().replace(/\s+/g, ""));
    if (!params.includes("g=apidiscovery.k8s.io") || !params.includes("as=APIGroupDiscoveryList")) continue;
    if (params.includes("v=v2")) return "v2";
    if (params.includes("v=v2beta1")) return "v2beta1";
  }
  return undefined;
}
