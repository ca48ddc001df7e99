// cluster/: cluster certificate sets as data, planClusterPki() → PkiPlan, kubeconfig rendering,
// applyPlan() writing only through an injected sink.
export { clusterCertSpecs, certSpecsForFiles, SA_KEY } from "./certlist.ts";
export type { CertSpec } from "./certlist.ts";
export { planClusterPki, describePlan, mismatch } from "./plan.ts";
export type { PkiPlan, PlanStep, PlanAction, ExistingItem, ExistingState } from "./plan.ts";
export { loadExisting } from "./existing.ts";
export type { PkiSource } from "./existing.ts";
export { applyPlan, issueLeaf, localCa, writeIssued, subjectOf } from "./apply.ts";
export type { PkiSink, FileStage, ApplyOptions, Issued, LocalCa, LeafRequest } from "./apply.ts";
export { renderKubeconfig, defaultServerUrl } from "./kubeconfig.ts";
export { addContextClusterAlias } from "./kubeconfig-alias.ts";
export type { KubeconfigIdentity } from "./kubeconfig.ts";
export { ClusterError } from "./errors.ts";
export type { ClusterErrorCode } from "./errors.ts";
export { renewCertificate, usagesOf } from "./renew.ts";
export { firstServiceIp } from "./spec.ts";
export type { ClusterSpec, NodeSpec } from "./spec.ts";
