// The cluster spec as cluster/ consumes it (DESIGN.md rule 2: the consumer owns the narrow interface
// it needs). config/ parses YAML into a value of this same shape; cluster/ does not import config/.
import type { KeyAlgorithm } from "../pki/index.ts";

export interface NodeSpec {
  readonly name: string;
  readonly ips: readonly string[];
}

export interface ClusterSpec {
  readonly clusterName: string;
  readonly controlPlane: readonly NodeSpec[];
  readonly workers: readonly NodeSpec[];
  readonly apiServerSANs: readonly string[];
  readonly serviceCIDR: string;
  readonly dnsDomain: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly caValidityMs: number;
  readonly leafValidityMs: number;
}

/** kubeadm: the API server's in-cluster IP is the first address of the service CIDR (10.96.0.1). */
export function firstServiceIp(cidr: string): string {
  const [ip = "0.0.0.0", bits = "32"] = cidr.split("/");
  const n = ip.split(".").reduce((a, p) => a * 256 + Number(p), 0);
  const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
  const first = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(first / 2 ** s) % 256).join(".");
}
