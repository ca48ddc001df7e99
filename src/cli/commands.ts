// The command table (DESIGN.md rule 9). Each entry loads its module lazily so `kpki inspect` does
// not pay for what `kpki init` needs; the summaries live here so `kpki --help` loads nothing.
import type { Command } from "./io.ts";

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<{ command: Command }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: "init", summary: "write a cluster's CA, certificates and kubeconfigs (kubeadm layout)", load: () => import("./cmd-init.ts") },
  { name: "certs", summary: "check-expiration | renew NAME|all: the certificates of an init'd directory", load: () => import("./cmd-certs.ts") },
  { name: "inspect", summary: "show certificates, bundles, CSRs, keys and kubeconfigs like openssl -text", load: () => import("./cmd-inspect.ts") },
  { name: "lint", summary: "check certificates (a file or a directory) against RFC 5280 and their role", load: () => import("./cmd-lint.ts") },
  { name: "verify", summary: "verify a certificate chain for a purpose, host and time", load: () => import("./cmd-verify.ts") },
  { name: "kubeconfig", summary: "user: sign a user certificate with the cluster CA and write a kubeconfig", load: () => import("./cmd-kubeconfig.ts") },
  { name: "cfssl", summary: "cfssl-compatible genkey, gencert, sign, certinfo, print-defaults", load: () => import("./cmd-cfssl.ts") },
  { name: "cfssljson", summary: "split cfssl JSON output into NAME.pem, NAME-key.pem, NAME.csr", load: () => import("./cmd-cfssljson.ts") },
  { name: "etcd", summary: "print the etcd command line for a TLS member using kpki init's certificates", load: () => import("./cmd-etcd.ts") },
  { name: "user", summary: "onboard a user through the CSR API: key, CSR, approval, binding, kubeconfig", load: () => import("./cmd-user.ts") },
  { name: "csr", summary: "show a CertificateSigningRequest decoded, with warnings for privileged identities", load: () => import("./cmd-csr.ts") },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
