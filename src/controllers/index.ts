// controllers/: the certificate controllers kube-controller-manager runs (csrsigning, csrapproving,
// csrcleaner, root-ca-cert-publisher) plus kpki's issuance ledger. main/serve.ts calls
// startControllers on the leader only.
import type { ApiObject, CertificateSigningRequest } from "../api/index.ts";
import type { Authorizer } from "../auth/index.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import type { Signer } from "../ca/index.ts";
import type { StorageBackend, Store } from "../storage/index.ts";
import { createApprovingController } from "./csr-approving/controller.ts";
import type { ApprovalPolicy } from "./csr-approving/policy.ts";
import { runCleaner } from "./csr-cleaning/cleaner.ts";
import { BUILT_IN_SIGNERS } from "./csr-signing/checks.ts";
import { createSigningController, DEFAULT_CLUSTER_SIGNING_DURATION_MS } from "./csr-signing/controller.ts";
import { silentLogger } from "./errors.ts";
import type { Logger } from "./errors.ts";
import { runReconcilers, type Reconciler } from "./loop.ts";
import type { Schedule } from "./queue.ts";
import { runPublisher } from "./root-ca-publishing/publisher.ts";

export { ControllerError, silentLogger } from "./errors.ts";
export type { ControllerErrorCode, Logger } from "./errors.ts";
export { WorkQueue, timerSchedule } from "./queue.ts";
export type { Schedule, QueueOptions, RunOptions } from "./queue.ts";
export { runReconciler, runReconcilers, feedQueue, objectKey } from "./loop.ts";
export type { Reconciler } from "./loop.ts";
export { BUILT_IN_SIGNERS, BUILT_IN_SIGNER_CHECKS, signingDurationMs, checkApiServerClient, checkKubeletClient, checkKubeletServing } from "./csr-signing/checks.ts";
export { createSigningController, statusChainPem, DEFAULT_CLUSTER_SIGNING_DURATION_MS } from "./csr-signing/controller.ts";
export { createApprovingController, RECOGNIZERS, APPROVER_IDENTITY } from "./csr-approving/controller.ts";
export { parseApprovalPolicies, matchPolicy, policyRefusal, PRIVILEGED_GROUPS } from "./csr-approving/policy.ts";
export type { ApprovalPolicy } from "./csr-approving/policy.ts";
export { cleanOnce, cleaningReason, runCleaner } from "./csr-cleaning/cleaner.ts";
export { syncNamespace, runPublisher, ROOT_CA_CONFIGMAP, DESCRIPTION, DESCRIPTION_ANNOTATION } from "./root-ca-publishing/publisher.ts";
export { ensureDefaultServiceAccount, runServiceAccountsController, DEFAULT_SERVICE_ACCOUNT } from "./serviceaccounts/controller.ts";
export type { ServiceAccountsOptions } from "./serviceaccounts/controller.ts";
export { listLedger, formatLedger, recordIssued, LEDGER_PREFIX, LEDGER_VOID_PREFIX } from "./ledger.ts";
export type { LedgerEntry, LedgerRecord } from "./ledger.ts";
export {
  REVOKED_PREFIX, REVOCATION_REASONS, issuerId, normalizeSerial, revocationKey, parseRevocationKey, reasonError, validateRecord, recordRevocation,
  decodeRevocation, listRevocations, formatRevocation,
} from "./revocation.ts";
export type { RevocationRecord, StoredRevocation, RecordOutcome } from "./revocation.ts";
export { revokeCertificate } from "./revocation-request.ts";
export type { RevocationContext, RevokeResult } from "./revocation-request.ts";
export { startRevocationSet } from "./revocation-set.ts";
export type { RevocationSet, RevocationSubject, RevocationFeedOptions } from "./revocation-set.ts";

export interface ControllerStores {
  readonly csrs: Store<CertificateSigningRequest>;
  readonly namespaces: Store<ApiObject>;
  readonly configMaps: Store<ApiObject>;
  /** The byte-level backend, for the ledger's /kpki/ledger/ keys. */
  readonly backend: StorageBackend;
}

export interface SigningConfig {
  /** signerName → CA. Build with builtInSigners(). Signers not in the map are left to external signers. */
  readonly signers: ReadonlyMap<string, Signer>;
  /** --cluster-signing-duration (default 8760h). */
  readonly durationMs?: number;
}

export type ControllerName = "csrsigning" | "csrapproving" | "csrcleaner" | "root-ca-cert-publisher";

export interface ControllerDeps {
  readonly stores: ControllerStores;
  readonly clock: Clock;
  /** Kept for the contract; serials come from each Signer's own random source. */
  readonly random?: RandomSource;
  readonly signing: SigningConfig;
  /** The root CA bundle published as kube-root-ca.crt (read at each sync: CA rotation propagates). */
  readonly rootCaPem: () => string;
  readonly policies?: readonly ApprovalPolicy[];
  readonly authorizer: Authorizer;
  readonly logger?: Logger;
  /** Default: all four. */
  readonly enabled?: readonly ControllerName[];
  readonly schedule?: Schedule;
  /** Workers of the csrsigning and csrapproving controllers each (default CSR_WORKERS). */
  readonly csrWorkers?: number;
}

/** kube-controller-manager starts the CSR signing and approving controllers with 5 workers each
 *  (`go csrSigningController.Run(ctx, 5)`, `go csrApprovingController.Run(ctx, 5)`). */
export const CSR_WORKERS = 5;

/** kube-controller-manager's defaults: every built-in signer uses the cluster CA
 *  (--cluster-signing-cert-file/--cluster-signing-key-file) unless a per-signer CA is given
 *  (--cluster-signing-{kubelet-serving,kubelet-client,kube-apiserver-client,legacy-unknown}-*). */
export function builtInSigners(clusterCa: Signer, perSigner: Readonly<Record<string, Signer>> = {}): Map<string, Signer> {
  return new Map(BUILT_IN_SIGNERS.map((name) => [name, perSigner[name] ?? clusterCa]));
}

/** Start the controllers; resolves when `signal` aborts and every loop has stopped. */
export async function startControllers(deps: ControllerDeps, signal: AbortSignal): Promise<void> {
  const logger = deps.logger ?? silentLogger;
  const on = (n: ControllerName): boolean => deps.enabled === undefined || deps.enabled.includes(n);
  const durationMs = deps.signing.durationMs ?? DEFAULT_CLUSTER_SIGNING_DURATION_MS;
  const common = { logger, ...(deps.schedule ? { schedule: deps.schedule, queue: { schedule: deps.schedule } } : {}) };
  const runs: Promise<void>[] = [];
  const csrControllers: Reconciler<CertificateSigningRequest>[] = [];
  if (on("csrsigning")) {
    csrControllers.push(createSigningController({ store: deps.stores.csrs, signers: deps.signing.signers, certTtlMs: durationMs, ledger: deps.stores.backend, clock: deps.clock, logger }));
  }
  if (on("csrapproving")) {
    csrControllers.push(createApprovingController({ store: deps.stores.csrs, authorizer: deps.authorizer, policies: deps.policies ?? [], defaultDurationMs: durationMs, clock: deps.clock, logger }));
  }
  // One CSR watch shared by the signer and the approver (client-go's shared informer).
  if (csrControllers.length > 0) runs.push(runReconcilers(deps.stores.csrs, csrControllers, { ...common, workers: deps.csrWorkers ?? CSR_WORKERS }, signal));
  if (on("csrcleaner")) runs.push(runCleaner(deps.stores.csrs, { clock: deps.clock, logger, ...(deps.schedule ? { schedule: deps.schedule } : {}) }, signal));
  if (on("root-ca-cert-publisher")) {
    const p = { namespaces: deps.stores.namespaces, configMaps: deps.stores.configMaps, rootCaPem: deps.rootCaPem, logger, ...(deps.schedule ? { schedule: deps.schedule } : {}) };
    runs.push(runPublisher(p, signal));
  }
  await Promise.all(runs);
}
export { runLeaderElection, LEASE_RESOURCE, microTime, timerSleep } from "./leaderelection.ts";
export type { Lease, LeaseSpec, LeaderElectionConfig } from "./leaderelection.ts";
