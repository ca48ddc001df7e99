// Kubeconfig rendering (clientcmd v1, embedded data as kubeadm writes it). Names are written as
// JSON strings, which are valid YAML scalars, so "system:node:node-0" needs no further quoting.
import { toBase64, utf8 } from "../base/index.ts";

export interface KubeconfigIdentity {
  readonly clusterName: string;
  readonly server: string;
  readonly caPem: string;
  readonly userName: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly namespace?: string;
}

const b64 = (s: string): string => toBase64(utf8(s));
const q = (s: string): string => JSON.stringify(s);

/** kubeadm's naming: cluster = clusterName, user = the certificate's CN, context `<user>@<cluster>`. */
export function renderKubeconfig(id: KubeconfigIdentity): string {
  const context = `${id.userName}@${id.clusterName}`;
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${b64(id.caPem)}`,
    `    server: ${q(id.server)}`,
    `  name: ${q(id.clusterName)}`,
    "contexts:",
    "- context:",
    `    cluster: ${q(id.clusterName)}`,
    ...(id.namespace ? [`    namespace: ${q(id.namespace)}`] : []),
    `    user: ${q(id.userName)}`,
    `  name: ${q(context)}`,
    `current-context: ${q(context)}`,
    "preferences: {}",
    "users:",
    `- name: ${q(id.userName)}`,
    "  user:",
    `    client-certificate-data: ${b64(id.certPem)}`,
    `    client-key-data: ${b64(id.keyPem)}`,
    "",
  ].join("\n");
}

/** https://<first control-plane IP, or 127.0.0.1>:6443 (kube-apiserver's secure port). */
export function defaultServerUrl(controlPlaneIps: readonly string[]): string {
  const ip = controlPlaneIps[0] ?? "127.0.0.1";
  return `https://${ip.includes(":") ? `[${ip}]` : ip}:6443`;
}
