// Parse a kubeconfig (YAML or JSON, clientcmd v1) into a frozen value. Embedded *-data fields are
// decoded to PEM text; file references are kept as paths (relative to the kubeconfig, as kubectl
// resolves them) for the caller to read.
import { fromBase64, fromUtf8 } from "../base/index.ts";
import { asObj, deepFreeze, fieldError, isObj, optBool, optStr, parseYamlText, type Obj } from "./errors.ts";

export interface KubeconfigCluster {
  readonly name: string;
  readonly server: string;
  readonly caPem?: string;
  readonly caFile?: string;
  readonly insecure: boolean;
}
export interface KubeconfigUser {
  readonly name: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly token?: string;
}
export interface KubeconfigContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}
export interface Kubeconfig {
  readonly clusters: readonly KubeconfigCluster[];
  readonly users: readonly KubeconfigUser[];
  readonly contexts: readonly KubeconfigContext[];
  readonly currentContext?: string;
}

function named(v: unknown, source: string, field: string, inner: string): { name: string; body: Obj }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw fieldError(source, field, "must be a list");
  return v.map((e, i) => {
    const o = asObj(e, source, `${field}[${i}]`);
    const name = optStr(o, "name", source, `${field}[${i}].`);
    if (!name) throw fieldError(source, `${field}[${i}].name`, "missing");
    return { name, body: isObj(o[inner]) ? o[inner] : {} };
  });
}

function pemData(o: Obj, key: string, source: string, path: string): string | undefined {
  const b64 = optStr(o, key, source, path);
  if (b64 === undefined) return undefined;
  try {
    return fromUtf8(fromBase64(b64));
  } catch {
    throw fieldError(source, path + key, "is not valid base64");
  }
}

export function kubeconfigFromObject(v: unknown, source: string): Kubeconfig {
  const o = asObj(v, source, "(top level)");
  const clusters = named(o["clusters"], source, "clusters", "cluster").map(({ name, body }, i) => {
    const p = `clusters[${i}].cluster.`;
    const caPem = pemData(body, "certificate-authority-data", source, p);
    const caFile = optStr(body, "certificate-authority", source, p);
    return {
      name,
      server: optStr(body, "server", source, p) ?? "",
      ...(caPem ? { caPem } : {}),
      ...(caFile ? { caFile } : {}),
      insecure: optBool(body, "insecure-skip-tls-verify", source, p) ?? false,
    };
  });
  const users = named(o["users"], source, "users", "user").map(({ name, body }, i) => {
    const p = `users[${i}].user.`;
    const fields = {
      certPem: pemData(body, "client-certificate-data", source, p),
      keyPem: pemData(body, "client-key-data", source, p),
      certFile: optStr(body, "client-certificate", source, p),
      keyFile: optStr(body, "client-key", source, p),
      token: optStr(body, "token", source, p),
    };
    return { name, ...Object.fromEntries(Object.entries(fields).filter(([, x]) => x !== undefined)) } as KubeconfigUser;
  });
  const contexts = named(o["contexts"], source, "contexts", "context").map(({ name, body }, i) => {
    const p = `contexts[${i}].context.`;
    const ns = optStr(body, "namespace", source, p);
    return { name, cluster: optStr(body, "cluster", source, p) ?? "", user: optStr(body, "user", source, p) ?? "", ...(ns ? { namespace: ns } : {}) };
  });
  const cur = optStr(o, "current-context", source, "");
  return deepFreeze({ clusters, users, contexts, ...(cur ? { currentContext: cur } : {}) });
}

export async function parseKubeconfig(text: string, source: string): Promise<Kubeconfig> {
  return kubeconfigFromObject(await parseYamlText(text, source), source);
}

/** The cluster and user of the current context (or the named one); errors name the file. */
export function currentIdentity(kc: Kubeconfig, source: string, contextName?: string): { cluster: KubeconfigCluster; user: KubeconfigUser; context: KubeconfigContext } {
  const want = contextName ?? kc.currentContext ?? kc.contexts[0]?.name;
  const context = kc.contexts.find((c) => c.name === want);
  if (!context) throw fieldError(source, "current-context", `context "${want ?? ""}" not found`);
  const cluster = kc.clusters.find((c) => c.name === context.cluster);
  if (!cluster) throw fieldError(source, "clusters", `cluster "${context.cluster}" of context "${context.name}" not found`);
  const user = kc.users.find((u) => u.name === context.user);
  if (!user) throw fieldError(source, "users", `user "${context.user}" of context "${context.name}" not found`);
  return { cluster, user, context };
}
