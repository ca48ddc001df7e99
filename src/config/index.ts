// config/: parse cfssl csr.json / ca-config.json, cluster specs and kubeconfigs into frozen values.
export { ConfigError } from "./errors.ts";
export type { ConfigErrorCode } from "./errors.ts";
export { parseCsrJson, csrJsonFromObject, parseCfsslKey, parseExpiry } from "./csr-json.ts";
export type { CsrJson } from "./csr-json.ts";
export { parseCaConfig, caConfigFromObject, selectProfile, CFSSL_DEFAULT_PROFILE } from "./ca-config.ts";
export type { CaConfig } from "./ca-config.ts";
export { parseClusterSpec, clusterSpecFromObject, DEFAULT_CLUSTER, isIp } from "./cluster-spec.ts";
export type { ClusterSpec, NodeSpec } from "./cluster-spec.ts";
export { parseKubeconfig, kubeconfigFromObject, currentIdentity } from "./kubeconfig.ts";
export type { Kubeconfig, KubeconfigCluster, KubeconfigUser, KubeconfigContext } from "./kubeconfig.ts";
