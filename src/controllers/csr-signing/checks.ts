// Per-signer request checks of the built-in signers (pkg/apis/certificates/helpers.go and
// pkg/controller/certificates/signer/signer.go; reference §4, §6). Each returns the FIRST failing
// check's message, which the signer writes as a Failed condition (reason SignerValidationFailure).
import {
  KUBE_APISERVER_CLIENT_KUBELET_SIGNER,
  KUBE_APISERVER_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  LEGACY_UNKNOWN_SIGNER,
} from "../../api/index.ts";
import type { Csr } from "../../pki/index.ts";

export type SignerCheck = (csr: Csr, usages: readonly string[]) => string | undefined;

function orgs(csr: Csr): string[] {
  return csr.subject.attributes.filter((a) => a.type === "O").map((a) => a.value);
}
function cn(csr: Csr): string {
  return csr.subject.attributes.find((a) => a.type === "CN")?.value ?? "";
}
function sameSet(usages: readonly string[], allowed: readonly string[]): boolean {
  const s = new Set(usages);
  return s.size === allowed.length && allowed.every((u) => s.has(u));
}

const NODE_ORG = "subject organization is not system:nodes";
const NODE_CN = "subject common name does not begin with system:node:";

/** ValidateKubeletServingCSR (§6.1). */
export function checkKubeletServing(csr: Csr, usages: readonly string[]): string | undefined {
  const o = orgs(csr);
  if (o.length !== 1 || o[0] !== "system:nodes") return NODE_ORG;
  if (csr.sans.dns.length === 0 && csr.sans.ip.length === 0) return "DNS or IP subjectAltName is required";
  if (csr.sans.email.length > 0) return "Email subjectAltNames are not allowed";
  if (csr.sans.uri.length > 0) return "URI subjectAltNames are not allowed";
  if (!sameSet(usages, ["digital signature", "key encipherment", "server auth"]) && !sameSet(usages, ["digital signature", "server auth"])) {
    return "usages did not match [digital signature key encipherment server auth]";
  }
  if (!cn(csr).startsWith("system:node:")) return NODE_CN;
  return undefined;
}

/** ValidateKubeletClientCSR (§6.2). */
export function checkKubeletClient(csr: Csr, usages: readonly string[]): string | undefined {
  const o = orgs(csr);
  if (o.length !== 1 || o[0] !== "system:nodes") return NODE_ORG;
  if (csr.sans.dns.length > 0) return "DNS subjectAltNames are not allowed";
  if (csr.sans.email.length > 0) return "Email subjectAltNames are not allowed";
  if (csr.sans.ip.length > 0) return "IP subjectAltNames are not allowed";
  if (csr.sans.uri.length > 0) return "URI subjectAltNames are not allowed";
  if (!cn(csr).startsWith("system:node:")) return NODE_CN;
  if (!sameSet(usages, ["digital signature", "key encipherment", "client auth"]) && !sameSet(usages, ["digital signature", "client auth"])) {
    return "usages did not match [client auth digital signature key encipherment]";
  }
  return undefined;
}

/** validAPIServerClientUsages (§6.3): only usage rules; subject is left to admission. */
export function checkApiServerClient(_csr: Csr, usages: readonly string[]): string | undefined {
  let hasClientAuth = false;
  for (const u of usages) {
    if (u === "client auth") hasClientAuth = true;
    else if (u !== "digital signature" && u !== "key encipherment") return `invalid usage for client certificate: ${u}`;
  }
  return hasClientAuth ? undefined : "missing required usage for client certificate: client auth";
}

/** The four built-in signers (kube-controller-manager's csrsigning-* controllers). */
export const BUILT_IN_SIGNER_CHECKS: Readonly<Record<string, SignerCheck>> = Object.freeze({
  [KUBELET_SERVING_SIGNER]: checkKubeletServing,
  [KUBE_APISERVER_CLIENT_KUBELET_SIGNER]: checkKubeletClient,
  [KUBE_APISERVER_CLIENT_SIGNER]: checkApiServerClient,
  [LEGACY_UNKNOWN_SIGNER]: () => undefined,
});

export const BUILT_IN_SIGNERS: readonly string[] = Object.freeze(Object.keys(BUILT_IN_SIGNER_CHECKS));

const TEN_MINUTES_MS = 10 * 60 * 1000;

/** duration() of signer.go: nil → certTTL; above certTTL → certTTL; below 10 min → 10 min. */
export function signingDurationMs(expirationSeconds: number | undefined, certTtlMs: number): number {
  if (expirationSeconds === undefined || expirationSeconds === null) return certTtlMs;
  const requested = expirationSeconds * 1000;
  if (requested > certTtlMs) return certTtlMs;
  if (requested < TEN_MINUTES_MS) return TEN_MINUTES_MS;
  return requested;
}
