// The cluster spec as cluster/ consumes it (DESIGN.md rule 2: the consumer owns the narrow interface
// it needs). config/ parses YAML into a value of this same shape; cluster/ does not import config/.
import { formatIp, indexedIp, parseCidr } from "../base/index.ts";
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

/** kubeadm: the API server's in-cluster IP is the first address of the service CIDR (10.96.0.1); of a
 *  dual-stack "v4,v6" (or "v6,v4") pair, of the first, primary one (GetKubernetesServiceCIDR). The
 *  spec was validated by config/ (serviceCidrProblem). */
export function firstServiceIp(cidr: string): string {
  const primary = parseCidr(cidr.split(",")[0] ?? "");
  if (primary === undefined) throw new Error(`serviceCIDR "${cidr}" is not a CIDR`);
  return formatIp(indexedIp(primary.network, 1));
}
