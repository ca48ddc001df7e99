// certificates.k8s.io usage strings → X.509 KeyUsage / ExtKeyUsage (reference k8s-csr-api-and-signers.md
// §5.2, Kubernetes pkg/controller/certificates/authority/policies.go). cfssl uses the same vocabulary
// (cfssl config.KeyUsage / ExtKeyUsage), plus its historic misspelling "content committment".
import { EKU } from "../pki/index.ts";
import type { KeyUsageBit } from "../pki/index.ts";
import { CaError } from "./errors.ts";

export const KEY_USAGE_BY_NAME: Readonly<Record<string, KeyUsageBit>> = {
  signing: "digitalSignature",
  "digital signature": "digitalSignature",
  "content commitment": "contentCommitment",
  "key encipherment": "keyEncipherment",
  "key agreement": "keyAgreement",
  "data encipherment": "dataEncipherment",
  "cert sign": "keyCertSign",
  "crl sign": "cRLSign",
  "encipher only": "encipherOnly",
  "decipher only": "decipherOnly",
};

export const EXT_KEY_USAGE_BY_NAME: Readonly<Record<string, string>> = {
  any: EKU.any,
  "server auth": EKU.serverAuth,
  "client auth": EKU.clientAuth,
  "code signing": EKU.codeSigning,
  "email protection": EKU.emailProtection,
  "s/mime": EKU.emailProtection,
  "ipsec end system": EKU.ipsecEndSystem,
  "ipsec tunnel": EKU.ipsecTunnel,
  "ipsec user": EKU.ipsecUser,
  timestamping: EKU.timeStamping,
  "ocsp signing": EKU.ocspSigning,
  "microsoft sgc": EKU.microsoftSgc,
  "netscape sgc": EKU.netscapeSgc,
};

/** The 23 usage strings certificates.k8s.io/v1 accepts, in the API's order. */
export const K8S_USAGES: readonly string[] = Object.freeze([...Object.keys(KEY_USAGE_BY_NAME), ...Object.keys(EXT_KEY_USAGE_BY_NAME)]);

/** cfssl-only spellings. */
const CFSSL_ALIASES: Readonly<Record<string, string>> = { "content committment": "content commitment" };

const KU_ORDER: readonly KeyUsageBit[] = [
  "digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign",
  "encipherOnly", "decipherOnly",
];
// Go's ExtKeyUsage enum order (crypto/x509), which Kubernetes sorts by.
const EKU_ORDER: readonly string[] = Object.values(EKU);

/** Unknown usages → CaError("unknown-usage", `unrecognized usage values: ["x" "y"]`) (Go's %q of a slice). */
const cache = new WeakMap<readonly string[], { keyUsage: KeyUsageBit[]; extKeyUsage: string[] }>();

export function usagesToExtensions(usages: readonly string[]): { keyUsage: KeyUsageBit[]; extKeyUsage: string[] } {
  // Profiles are long-lived values: map each usages array once (callers get copies).
  let hit = cache.get(usages);
  if (!hit) cache.set(usages, (hit = mapUsages(usages)));
  return { keyUsage: [...hit.keyUsage], extKeyUsage: [...hit.extKeyUsage] };
}

function mapUsages(usages: readonly string[]): { keyUsage: KeyUsageBit[]; extKeyUsage: string[] } {
  const ku = new Set<KeyUsageBit>();
  const eku = new Set<string>();
  const unknown: string[] = [];
  for (const raw of usages) {
    const u = CFSSL_ALIASES[raw] ?? raw;
    const k = KEY_USAGE_BY_NAME[u];
    const e = EXT_KEY_USAGE_BY_NAME[u];
    if (k) ku.add(k);
    else if (e) eku.add(e);
    else unknown.push(raw);
  }
  if (unknown.length > 0) {
    throw new CaError("unknown-usage", `unrecognized usage values: [${unknown.map((u) => JSON.stringify(u)).join(" ")}]`);
  }
  return {
    keyUsage: KU_ORDER.filter((b) => ku.has(b)),
    extKeyUsage: EKU_ORDER.filter((o) => eku.has(o)),
  };
}
