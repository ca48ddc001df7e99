// The lint rules as a table (DESIGN.md rule 9; zlint-style ids: e_ = error, w_ = warning). Each rule
// says which certificates it applies to and what it checks; `check` returns true when the certificate passes.
import { equalBytes } from "../base/index.ts";
import { serialBytes } from "./certificate.ts";
import { commonName, organizations, sanCount } from "./names.ts";
import { EKU, OID } from "./oids.ts";
import type { Certificate, LintLevel } from "./types.ts";

export type CertRole = "root-ca" | "intermediate-ca" | "server" | "client" | "kubelet-serving" | "kubelet-client" | "peer";
export const CERT_ROLES: readonly CertRole[] = ["root-ca", "intermediate-ca", "server", "client", "kubelet-serving", "kubelet-client", "peer"];

export interface LintContext {
  readonly role: CertRole;
  readonly issuer?: Certificate;
  readonly at?: Date;
  /** Linting a certificate about to be signed (ca/'s gate): no allowance for legacy certificates. */
  readonly preIssuance?: boolean;
}

export interface LintRule {
  readonly id: string;
  readonly level: LintLevel;
  readonly text: string;
  /** The spec or Kubernetes behaviour the rule enforces. */
  readonly source: string;
  applies(c: Certificate, x: LintContext): boolean;
  check(c: Certificate, x: LintContext): boolean;
}

const isCaRole = (x: LintContext): boolean => x.role === "root-ca" || x.role === "intermediate-ca";
const isCa = (c: Certificate): boolean => c.basicConstraints?.ca === true;
const isSelfIssued = (c: Certificate): boolean => equalBytes(c.subjectDer, c.issuerDer);
const hasEku = (c: Certificate, oid: string): boolean => c.extKeyUsage?.includes(oid) === true || c.extKeyUsage?.includes(EKU.any) === true;
const ext = (c: Certificate, oid: string): { critical: boolean } | undefined => c.extensions.find((e) => e.oid === oid);
const always = (): boolean => true;
const isSerialZero = (c: Certificate): boolean => serialBytes(c).every((b) => b === 0);
/** client-go's certutil.NewSelfSignedCACert gave self-signed CAs serial 0 until 2019, so kubeadm clusters
 *  from before then still run on such a CA; every TLS stack accepts it. Existing ones get a warning;
 *  kpki's own issuance (preIssuance) never gets this allowance. */
const isLegacyZeroSerialRoot = (c: Certificate, x: LintContext): boolean => x.preIssuance !== true && isCa(c) && isSelfIssued(c) && isSerialZero(c);
const NODE_PREFIX = "system:node:";
const DNS_LABEL = /^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$/i;

function validDnsName(name: string): boolean {
  const labels = name.replace(/\.$/, "").split(".");
  return name.length <= 253 && labels.every((l, i) => DNS_LABEL.test(l) && (l !== "*" || i === 0));
}

export const LINT_RULES: readonly LintRule[] = [
  { id: "e_serial_not_positive", level: "error", text: "serial number must be positive", source: "RFC 5280 §4.1.2.2",
    applies: (c, x) => !isLegacyZeroSerialRoot(c, x), check: (c) => serialBytes(c)[0]! < 0x80 && !isSerialZero(c) },
  { id: "w_root_serial_zero", level: "warning", text: "self-signed CA with serial number 0 (client-go certutil before 2019); replace it when convenient",
    source: "RFC 5280 §4.1.2.2; kubernetes/client-go util/cert NewSelfSignedCACert", applies: isLegacyZeroSerialRoot, check: (c) => !isSerialZero(c) },
  { id: "e_serial_too_long", level: "error", text: "serial number longer than 20 octets", source: "RFC 5280 §4.1.2.2",
    applies: always, check: (c) => serialBytes(c).length <= 20 },
  { id: "e_validity_inverted", level: "error", text: "notBefore is after notAfter", source: "RFC 5280 §4.1.2.5",
    applies: always, check: (c) => c.notBefore.getTime() <= c.notAfter.getTime() },
  { id: "e_not_v3", level: "error", text: "certificate with extensions must be version 3", source: "RFC 5280 §4.1.2.1",
    applies: (c) => c.extensions.length > 0, check: (c) => c.version === 3 },
  { id: "e_sha1_signature", level: "error", text: "SHA-1 signatures are not accepted", source: "Go crypto/x509 (since 1.18)",
    applies: always, check: (c) => !/sha1/i.test(c.signatureAlgorithm) },
  { id: "e_rsa_key_too_small", level: "error", text: "RSA key smaller than 2048 bits", source: "NIST SP 800-131A",
    applies: (c) => c.keyAlgorithm.kind === "rsa", check: (c) => c.keyAlgorithm.kind !== "rsa" || c.keyAlgorithm.bits >= 2048 },
  { id: "e_empty_subject_without_critical_san", level: "error", text: "empty subject requires a critical subjectAltName",
    source: "RFC 5280 §4.2.1.6", applies: (c) => c.subject.attributes.length === 0,
    check: (c) => sanCount(c.sans) > 0 && ext(c, OID.subjectAltName)?.critical === true },
  { id: "e_dns_san_invalid", level: "error", text: "DNS subjectAltName is not a valid host name (wildcard only as the left-most label)",
    source: "RFC 5280 §4.2.1.6, RFC 6125 §6.4.3", applies: (c) => c.sans.dns.length > 0, check: (c) => c.sans.dns.every(validDnsName) },
  { id: "e_key_usage_empty", level: "error", text: "keyUsage extension with no bits set", source: "RFC 5280 §4.2.1.3",
    applies: (c) => c.keyUsage !== undefined, check: (c) => (c.keyUsage?.length ?? 0) > 0 },
  { id: "e_ca_flag_missing", level: "error", text: "CA certificate without basicConstraints CA:TRUE", source: "RFC 5280 §4.2.1.9",
    applies: (_c, x) => isCaRole(x), check: isCa },
  { id: "e_ca_basic_constraints_not_critical", level: "error", text: "CA certificate basicConstraints must be critical",
    source: "RFC 5280 §4.2.1.9", applies: isCa, check: (c) => ext(c, OID.basicConstraints)?.critical === true },
  { id: "e_ca_key_cert_sign_missing", level: "error", text: "CA certificate without keyUsage keyCertSign", source: "RFC 5280 §4.2.1.3",
    applies: isCa, check: (c) => c.keyUsage?.includes("keyCertSign") === true },
  { id: "e_ca_subject_key_identifier_missing", level: "error", text: "CA certificate without subjectKeyIdentifier",
    source: "RFC 5280 §4.2.1.2", applies: isCa, check: (c) => c.subjectKeyId !== undefined },
  { id: "e_ca_subject_empty", level: "error", text: "CA certificate with an empty subject", source: "RFC 5280 §4.1.2.6",
    applies: isCa, check: (c) => c.subject.attributes.length > 0 },
  { id: "e_path_len_without_ca", level: "error", text: "pathLenConstraint on a certificate that is not a CA", source: "RFC 5280 §4.2.1.9",
    applies: (c) => c.basicConstraints?.pathLen !== undefined, check: isCa },
  { id: "e_cert_sign_without_ca", level: "error", text: "keyCertSign on a certificate that is not a CA", source: "RFC 5280 §4.2.1.3",
    applies: (c) => c.keyUsage?.includes("keyCertSign") === true, check: isCa },
  { id: "e_leaf_is_ca", level: "error", text: "a leaf certificate must not be a CA", source: "Kubernetes signer policy (policies.go)",
    applies: (_c, x) => !isCaRole(x), check: (c) => !isCa(c) },
  { id: "e_authority_key_identifier_missing", level: "error", text: "certificate not self-issued without authorityKeyIdentifier",
    source: "RFC 5280 §4.2.1.1", applies: (c) => !isSelfIssued(c), check: (c) => c.authorityKeyId !== undefined },
  { id: "e_authority_key_identifier_mismatch", level: "error", text: "authorityKeyIdentifier differs from the issuer's subjectKeyIdentifier",
    source: "RFC 5280 §4.2.1.1", applies: (c, x) => x.issuer?.subjectKeyId !== undefined && c.authorityKeyId !== undefined,
    check: (c, x) => equalBytes(c.authorityKeyId!, x.issuer!.subjectKeyId!) },
  { id: "e_issuer_name_mismatch", level: "error", text: "issuer name differs from the issuer certificate's subject", source: "RFC 5280 §6.1.3",
    applies: (_c, x) => x.issuer !== undefined, check: (c, x) => equalBytes(c.issuerDer, x.issuer!.subjectDer) },
  { id: "e_outlives_issuer", level: "error", text: "certificate outlives its issuer (notAfter after the CA's notAfter)",
    source: "Kubernetes signer policy (policies.go)", applies: (_c, x) => x.issuer !== undefined,
    check: (c, x) => c.notAfter.getTime() <= x.issuer!.notAfter.getTime() },
  { id: "e_issuer_path_len_exceeded", level: "error", text: "issuer's pathLenConstraint 0 forbids issuing a CA", source: "RFC 5280 §4.2.1.9",
    applies: (c, x) => isCa(c) && x.issuer !== undefined && !isSelfIssued(c), check: (_c, x) => x.issuer!.basicConstraints?.pathLen !== 0 },
  { id: "e_server_auth_without_san", level: "error", text: "serverAuth certificate without DNS or IP subjectAltName",
    source: "RFC 6125 §6.4.4, Go 1.15+ ignores the CN", applies: (c) => c.extKeyUsage?.includes(EKU.serverAuth) === true,
    check: (c) => c.sans.dns.length + c.sans.ip.length > 0 },
  { id: "e_server_eku_missing", level: "error", text: "serving certificate without serverAuth extended key usage", source: "Go crypto/x509 EKU check",
    applies: (c, x) => (x.role === "server" || x.role === "peer" || x.role === "kubelet-serving") && c.extKeyUsage !== undefined,
    check: (c) => hasEku(c, EKU.serverAuth) },
  { id: "e_client_eku_missing", level: "error", text: "client certificate without clientAuth extended key usage", source: "Go crypto/x509 EKU check",
    applies: (c, x) => (x.role === "client" || x.role === "peer" || x.role === "kubelet-client") && c.extKeyUsage !== undefined,
    check: (c) => hasEku(c, EKU.clientAuth) },
  { id: "e_kubelet_cn", level: "error", text: "kubelet certificate common name must be system:node:<nodeName>",
    source: "Kubernetes ValidateKubeletServingCSR / ValidateKubeletClientCSR", applies: (_c, x) => x.role.startsWith("kubelet-"),
    check: (c) => { const cn = commonName(c.subject) ?? ""; return cn.startsWith(NODE_PREFIX) && cn.length > NODE_PREFIX.length; } },
  { id: "e_kubelet_organization", level: "error", text: "kubelet certificate organization must be exactly system:nodes",
    source: "Kubernetes ValidateKubeletServingCSR / ValidateKubeletClientCSR", applies: (_c, x) => x.role.startsWith("kubelet-"),
    check: (c) => { const o = organizations(c.subject); return o.length === 1 && o[0] === "system:nodes"; } },
  { id: "e_kubelet_client_sans", level: "error", text: "kubelet client certificate must not carry subjectAltNames",
    source: "Kubernetes ValidateKubeletClientCSR", applies: (_c, x) => x.role === "kubelet-client", check: (c) => sanCount(c.sans) === 0 },
  { id: "e_kubelet_serving_sans", level: "error", text: "kubelet serving certificate must have DNS or IP and no email or URI subjectAltNames",
    source: "Kubernetes ValidateKubeletServingCSR", applies: (_c, x) => x.role === "kubelet-serving",
    check: (c) => c.sans.dns.length + c.sans.ip.length > 0 && c.sans.email.length + c.sans.uri.length === 0 },
  { id: "w_subject_key_identifier_missing", level: "warning", text: "certificate without subjectKeyIdentifier", source: "RFC 5280 §4.2.1.2",
    applies: (c) => !isCa(c), check: (c) => c.subjectKeyId !== undefined },
  { id: "w_expired", level: "warning", text: "certificate is expired or not yet valid at the lint time", source: "RFC 5280 §4.1.2.5",
    applies: (_c, x) => x.at !== undefined, check: (c, x) => c.notBefore <= x.at! && x.at! <= c.notAfter },
  { id: "w_leaf_validity_over_825_days", level: "warning", text: "leaf certificate valid for more than 825 days",
    source: "CA/Browser Forum BR §6.3.2 (historic limit)", applies: (_c, x) => !isCaRole(x),
    check: (c) => c.notAfter.getTime() - c.notBefore.getTime() <= 825 * 86_400_000 },
];
