// Where a command that talks to a running `kpki serve` connects: the current context of a kubeconfig,
// with file references (certificate-authority, client-certificate, client-key) resolved relative to
// the kubeconfig's own directory, as kubectl resolves them.
import { currentIdentity, parseKubeconfig } from "../config/index.ts";
import type { ApiTarget, Io } from "./io.ts";

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : path.slice(0, i) || "/";
}

/** The API target of a kubeconfig's current context, and its cluster's name. */
export async function apiTargetFromKubeconfig(io: Io, path: string): Promise<{ target: ApiTarget; clusterName: string }> {
  const { cluster, user } = currentIdentity(await parseKubeconfig(await io.readText(path), path), path);
  const read = (f: string): Promise<string> => io.readText(f.startsWith("/") ? f : `${dirOf(path)}/${f}`);
  const target: ApiTarget = {
    server: cluster.server,
    ...(cluster.caPem ? { caPem: cluster.caPem } : cluster.caFile ? { caPem: await read(cluster.caFile) } : {}),
    ...(user.certPem ? { certPem: user.certPem } : user.certFile ? { certPem: await read(user.certFile) } : {}),
    ...(user.keyPem ? { keyPem: user.keyPem } : user.keyFile ? { keyPem: await read(user.keyFile) } : {}),
    ...(user.token ? { token: user.token } : {}),
    ...(cluster.insecure ? { insecure: true } : {}),
  };
  return { target, clusterName: cluster.name };
}
