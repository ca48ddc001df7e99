// kpki serve: a kubectl-compatible API server over the data dir's PKI (provisioned on first start,
// exactly as `kpki init --dir DIR`). Runs until SIGTERM/SIGINT, then drains and exits 0.
import { CliError, defineCommand, type Io, type OptionSpec } from "../cli/index.ts";
import { parseDuration } from "../base/index.ts";
import { SIGNER_FLAGS, type CsrSigningFlags, type SignerFlag } from "./signing-cas.ts";
import { startServer, type ServeOptions, type ServiceAccountFlags } from "./start-server.ts";
import { LEADER_OPTIONS, leaderElectionFlags } from "./leader-flags.ts";
import { DEFAULT_SERVICE_IP_RANGE, parseServiceIpRange, type ServiceIpRange } from "../registry/index.ts";

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;
const s = (v: Values, k: string): string | undefined => (typeof v[k] === "string" ? (v[k] as string) : undefined);

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new CliError("usage", `serve: --listen must be HOST:PORT (e.g. 127.0.0.1:6443), not "${text}"`);
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port };
}

function parseBool(text: string | undefined, name: string, dflt: boolean): boolean {
  if (text === undefined) return dflt;
  if (text === "true") return true;
  if (text === "false") return false;
  throw new CliError("usage", `serve: --${name} must be true or false, not "${text}"`);
}

/** kube-apiserver's --service-cluster-ip-range: an IPv4 or IPv6 CIDR, or a dual-stack pair
 *  "10.96.0.0/12,fd00:10:96::/112" (primary first); default kubeadm's, as `kpki init` uses. One usage line
 *  naming the flag and the value on error (kube-apiserver's own checks, options/validation.go). */
function serviceIpRangeFlag(text: string | undefined): ServiceIpRange {
  if (text === undefined) return DEFAULT_SERVICE_IP_RANGE;
  const r = parseServiceIpRange(text);
  if (!r.ok) throw new CliError("usage", `serve: --service-cluster-ip-range "${text}" ${r.reason}`);
  return r.range;
}

/** kube-controller-manager's CSR signing flags (files are read and checked by startServer). */
function csrSigningFlags(v: Values): CsrSigningFlags | undefined {
  const perSigner: Partial<Record<SignerFlag, { certFile?: string; keyFile?: string }>> = {};
  for (const f of Object.keys(SIGNER_FLAGS) as SignerFlag[]) {
    const certFile = s(v, `cluster-signing-${f}-cert-file`);
    const keyFile = s(v, `cluster-signing-${f}-key-file`);
    if (certFile !== undefined || keyFile !== undefined) perSigner[f] = { certFile, keyFile };
  }
  const d = s(v, "cluster-signing-duration");
  let durationMs: number | undefined;
  try {
    durationMs = d === undefined ? undefined : parseDuration(d);
  } catch {
    throw new CliError("usage", `serve: --cluster-signing-duration must be a duration like 8760h, not "${d}"`);
  }
  const flags: CsrSigningFlags = {
    certFile: s(v, "cluster-signing-cert-file"),
    keyFile: s(v, "cluster-signing-key-file"),
    perSigner,
    durationMs,
    approvalPolicyFile: s(v, "csr-approval-policy-file"),
  };
  const any = Object.keys(perSigner).length > 0 || [flags.certFile, flags.keyFile, durationMs, flags.approvalPolicyFile].some((x) => x !== undefined);
  return any ? flags : undefined;
}

/** kube-apiserver's --service-account-* and --api-audiences (key files are read by startServer). The
 *  max expiration must be at least 1 h, as kube-apiserver's options validation wants. */
function serviceAccountFlags(v: Values): ServiceAccountFlags | undefined {
  const max = s(v, "service-account-max-token-expiration");
  let maxMs: number | undefined;
  try {
    maxMs = max === undefined ? undefined : parseDuration(max);
  } catch {
    throw new CliError("usage", `serve: --service-account-max-token-expiration must be a duration like 24h, not "${max}"`);
  }
  if (maxMs !== undefined && maxMs < 3_600_000) throw new CliError("usage", "serve: --service-account-max-token-expiration cannot be less than 1 hour");
  const issuer = s(v, "service-account-issuer");
  if (issuer === "") throw new CliError("usage", "serve: --service-account-issuer must not be empty");
  const audiences = s(v, "api-audiences")?.split(",").map((a) => a.trim()).filter((a) => a !== "");
  const flags: ServiceAccountFlags = {
    ...(issuer !== undefined ? { issuer } : {}),
    ...(s(v, "service-account-key-file") !== undefined ? { keyFile: s(v, "service-account-key-file") } : {}),
    ...(s(v, "service-account-signing-key-file") !== undefined ? { signingKeyFile: s(v, "service-account-signing-key-file") } : {}),
    ...(maxMs !== undefined ? { maxTokenExpirationSeconds: Math.floor(maxMs / 1000) } : {}),
    ...(audiences !== undefined && audiences.length > 0 ? { apiAudiences: audiences } : {}),
  };
  return Object.keys(flags).length > 0 ? flags : undefined;
}

const SERVICE_ACCOUNT_OPTIONS: readonly OptionSpec[] = [
  { name: "service-account-issuer", type: "string", arg: "URL", help: "iss of service-account tokens (default https://kubernetes.default.svc.cluster.local)" },
  { name: "service-account-key-file", type: "string", arg: "FILE", help: "PEM public key(s) that verify service-account tokens (default DIR/pki/sa.pub)" },
  { name: "service-account-signing-key-file", type: "string", arg: "FILE", help: "PEM private key (RSA or ECDSA) that signs TokenRequest tokens (default DIR/pki/sa.key)" },
  { name: "service-account-max-token-expiration", type: "string", arg: "DURATION", help: "longest token TokenRequest issues (≥ 1h; longer requests are shortened)" },
  { name: "api-audiences", type: "string", arg: "AUD,…", help: "audiences the API accepts in tokens, and TokenRequest's default (default: the issuer)" },
];

const SIGNING_OPTIONS: readonly OptionSpec[] = [
  { name: "cluster-signing-cert-file", type: "string", arg: "FILE", help: "CA (+ chain) PEM the CSR signers use (default: the cluster CA)" },
  { name: "cluster-signing-key-file", type: "string", arg: "FILE", help: "key of --cluster-signing-cert-file" },
  ...(Object.entries(SIGNER_FLAGS) as [SignerFlag, string][]).flatMap(([f, name]) => [
    { name: `cluster-signing-${f}-cert-file`, type: "string", arg: "FILE", help: `CA (+ chain) PEM for ${name}` } as const,
    { name: `cluster-signing-${f}-key-file`, type: "string", arg: "FILE", help: `key for ${name}` } as const,
  ]),
  { name: "cluster-signing-duration", type: "string", arg: "DURATION", help: "longest certificate the CSR signers issue (default 8760h)" },
  { name: "csr-approval-policy-file", type: "string", arg: "FILE", help: "YAML approval policies for the csrapproving controller" },
];

export function serveOptions(v: Values): ServeOptions {
  const dataDir = s(v, "data-dir");
  if (dataDir === undefined || dataDir === "") throw new CliError("usage", "serve: --data-dir is required");
  const { host, port } = parseListen(s(v, "listen") ?? "127.0.0.1:6443");
  const storage = s(v, "storage") ?? "sqlite";
  if (storage !== "sqlite" && storage !== "memory" && storage !== "etcd") {
    throw new CliError("usage", `serve: --storage must be sqlite, memory or etcd, not "${storage}"`);
  }
  const servers = (s(v, "etcd-servers") ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
  if (storage === "etcd" && servers.length === 0) throw new CliError("usage", "serve: --storage etcd needs --etcd-servers https://HOST:2379[,…]");
  const tls = [s(v, "client-ca-file"), s(v, "tls-cert-file"), s(v, "tls-private-key-file")];
  if (tls.some((x) => x !== undefined) && tls.some((x) => x === undefined)) {
    throw new CliError("usage", "serve: --client-ca-file, --tls-cert-file and --tls-private-key-file go together");
  }
  const csrSigning = csrSigningFlags(v);
  const leaderElection = leaderElectionFlags(v);
  const serviceAccounts = serviceAccountFlags(v);
  return {
    dataDir,
    host,
    port,
    storage,
    anonymousAuth: parseBool(s(v, "anonymous-auth"), "anonymous-auth", true),
    tokenAuthFile: s(v, "token-auth-file"),
    clientCaFile: tls[0],
    tlsCertFile: tls[1],
    tlsKeyFile: tls[2],
    serviceIpRange: serviceIpRangeFlag(s(v, "service-cluster-ip-range")),
    ...(csrSigning !== undefined ? { csrSigning } : {}),
    ...(leaderElection !== undefined ? { leaderElection } : {}),
    ...(serviceAccounts !== undefined ? { serviceAccounts } : {}),
    ...(storage === "etcd"
      ? { etcd: { servers, caFile: s(v, "etcd-cafile"), certFile: s(v, "etcd-certfile"), keyFile: s(v, "etcd-keyfile"), prefix: s(v, "etcd-prefix"), readLease: parseBool(s(v, "etcd-read-lease"), "etcd-read-lease", true) } }
      : {}),
  };
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(sig);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

export const command = defineCommand(
  {
    name: "serve",
    summary: "Run a Kubernetes API server (mTLS, RBAC, CSR API) that kubectl talks to.",
    synopsis: [
      "serve --data-dir DIR [--listen 127.0.0.1:6443] [--storage sqlite|memory] [--anonymous-auth=true|false] [--token-auth-file F] [--client-ca-file F --tls-cert-file F --tls-private-key-file F] [--service-cluster-ip-range CIDR[,CIDR]]",
      "serve --data-dir DIR [--cluster-signing-cert-file F --cluster-signing-key-file F | --cluster-signing-kube-apiserver-client-cert-file F …] [--cluster-signing-duration 8760h] [--csr-approval-policy-file F]",
      "serve --data-dir DIR --storage etcd --etcd-servers https://HOST:2379[,…] [--etcd-cafile F --etcd-certfile F --etcd-keyfile F] [--etcd-prefix P] [--etcd-read-lease=true|false]",
      "serve --data-dir DIR [--service-account-issuer URL] [--service-account-key-file F] [--service-account-signing-key-file F] [--service-account-max-token-expiration 24h] [--api-audiences A,…]",
      "serve --data-dir DIR [--leader-elect=true|false] [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s] [--leader-elect-retry-period 2s]",
    ],
    options: [
      { name: "data-dir", type: "string", arg: "DIR", help: "state + PKI; an empty DIR is provisioned like `kpki init --dir DIR`" },
      { name: "listen", type: "string", arg: "HOST:PORT", help: "address to serve on (default 127.0.0.1:6443)" },
      { name: "storage", type: "string", arg: "sqlite|memory|etcd", help: "sqlite (DIR/kpki.db, default), memory, or an etcd cluster" },
      { name: "etcd-servers", type: "string", arg: "URL,…", help: "etcd client URLs (https://HOST:2379) for --storage etcd" },
      { name: "etcd-cafile", type: "string", arg: "FILE", help: "etcd CA (default DIR/pki/etcd/ca.crt)" },
      { name: "etcd-certfile", type: "string", arg: "FILE", help: "etcd client certificate (default DIR/pki/apiserver-etcd-client.crt)" },
      { name: "etcd-keyfile", type: "string", arg: "FILE", help: "etcd client key (default DIR/pki/apiserver-etcd-client.key)" },
      { name: "etcd-prefix", type: "string", arg: "PREFIX", help: "key prefix in etcd (default /kpki)" },
      {
        name: "etcd-read-lease",
        type: "string",
        arg: "true|false",
        help: "when alone on the prefix, answer consistent reads from the watch cache under a lease in etcd, with no etcd round trip (default true); a replica that joins waits for the holder to give it up before its first write (at most the lease's 5 s TTL if the holder died)",
      },
      { name: "anonymous-auth", type: "string", arg: "true|false", help: "requests without credentials are system:anonymous (default true)" },
      { name: "token-auth-file", type: "string", arg: "FILE", help: "static bearer tokens, Kubernetes CSV: token,user,uid,\"group1,group2\"" },
      { name: "client-ca-file", type: "string", arg: "FILE", help: "CA bundle for client certificates (an existing PKI)" },
      { name: "tls-cert-file", type: "string", arg: "FILE", help: "serving certificate (chain) PEM" },
      { name: "tls-private-key-file", type: "string", arg: "FILE", help: "serving key PEM" },
      {
        name: "service-cluster-ip-range",
        type: "string",
        arg: "CIDR[,CIDR]",
        help: "Service ClusterIP range: IPv4 (/12–/30) or IPv6 (/108–/126), or a dual-stack pair like 10.96.0.0/12,fd00:10:96::/112 (one per family, primary first); the kubernetes Service gets the primary's first address (default 10.96.0.0/12, match init's serviceCIDR)",
      },
      ...SERVICE_ACCOUNT_OPTIONS,
      ...SIGNING_OPTIONS,
      ...LEADER_OPTIONS,
    ],
    notes: ["SIGTERM or Ctrl-C stops accepting, ends watches, finishes in-flight requests and exits 0."],
  },
  async (p, io: Io) => {
    if (p.positionals.length > 0) throw new CliError("usage", `serve: unexpected argument "${p.positionals[0]}"`);
    const opts = serveOptions(p.values);
    const running = await startServer({ ...opts, log: (line) => io.stderr(`${line}\n`) });
    io.stdout(`kpki serving on ${running.url}${running.provisioned ? ` (provisioned ${opts.dataDir})` : ""}\n`);
    if (running.adminKubeconfig) io.stdout(`  export KUBECONFIG=${running.adminKubeconfig}; kubectl get ns\n`);
    const sig = await waitForSignal();
    io.stderr(`kpki: ${sig}: draining and stopping\n`);
    await running.close();
    return 0;
  },
);
