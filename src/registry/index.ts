// registry/: per-resource REST handlers over Store, strategies, admission, review APIs, bootstrap.
export type {
  RequestContext,
  ListParams,
  PatchType,
  DeleteOptions,
  ResourceHandler,
  Registry,
  RegistryOptions,
  ResourceStrategy,
  StoreLookup,
  AdmissionDeps,
} from "./types.ts";
export { createRegistry, memoizeStores, namespaceCascade } from "./registry.ts";
export { createResourceHandler, type HandlerDeps } from "./handler.ts";
export { createReviewHandler, type ReviewDeps } from "./reviews.ts";
export { STRATEGIES, strategyKey, type StrategyFactory } from "./strategies.ts";
export {
  ensureDefaultNamespaces, ensureBootstrapPolicy, ensureKubernetesService, DEFAULT_KUBERNETES_SERVICE_IP, DEFAULT_NAMESPACES, type BootstrapResult,
  type KubernetesServiceResult,
} from "./bootstrap.ts";
export {
  DEFAULT_SERVICE_IP_RANGE, allocateClusterIp, kubernetesServiceIp, parseServiceIpRange, rangeContains, isDualStack, primaryCidr, type IpFamily, type ServiceCidr,
  type ServiceIpRange, type ServiceIpRangeResult,
} from "./service-ip.ts";
export { IMMORTAL_NAMESPACES } from "./kinds.ts";
export { selectionPredicate } from "./handler-read.ts";
export { withTokenRequests, validateTokenRequestSpec, type TokenIssuerConfig, type TokenRequestDeps } from "./token-request.ts";
