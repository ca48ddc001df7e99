// Renewal (kubeadm certs renew): a new key and certificate from the same CA with the subject, SANs
// and usages of the certificate being renewed; validity restarts from now.
import type { Certificate, KeyUsageBit } from "../pki/index.ts";
import { EKU } from "../pki/index.ts";
import type { CertSpec } from "./certlist.ts";
import { issueLeaf, type Issued, type LocalCa } from "./apply.ts";

const KU_USAGE: Record<KeyUsageBit, string> = {
  digitalSignature: "digital signature",
  contentCommitment: "content commitment",
  keyEncipherment: "key encipherment",
  dataEncipherment: "data encipherment",
  keyAgreement: "key agreement",
  keyCertSign: "cert sign",
  cRLSign: "crl sign",
  encipherOnly: "encipher only",
  decipherOnly: "decipher only",
};

/** The certificates.k8s.io usage strings that give back this certificate's KU/EKU. */
export function usagesOf(cert: Certificate): string[] {
  const eku: Record<string, string> = { [EKU.serverAuth]: "server auth", [EKU.clientAuth]: "client auth" };
  return [...(cert.keyUsage ?? []).map((b) => KU_USAGE[b]), ...(cert.extKeyUsage ?? []).map((o) => eku[o]).filter((u): u is string => u !== undefined)];
}

export async function renewCertificate(spec: CertSpec, old: Certificate, ca: LocalCa, opts: { now: Date; validityMs: number }): Promise<Issued> {
  return issueLeaf(ca, {
    subject: old.subject,
    sans: old.sans,
    usages: usagesOf(old),
    role: spec.role,
    alg: old.keyAlgorithm,
    validityMs: opts.validityMs,
    now: opts.now,
  });
}
