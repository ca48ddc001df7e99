// kube-controller-manager's CSR signing flags for `kpki serve`: --cluster-signing-cert-file/-key-file
// (default: the cluster CA), the per-signer --cluster-signing-{kubelet-serving,kubelet-client,
// kube-apiserver-client,legacy-unknown}-{cert,key}-file, --cluster-signing-duration and
// --csr-approval-policy-file, loaded into the Signers the csrsigning controller uses.
// A signing cert file may hold the CA followed by its chain (or any bundle): the certificate matching
// the key is the CA, the rest is followed issuer by issuer so status.certificate can carry the chain.
import type { Clock, RandomSource } from "../base/index.ts";
import { createLocalSigner, localKeySigner, type Signer } from "../ca/index.ts";
import { parseApprovalPolicies, type ApprovalPolicy } from "../controllers/index.ts";
import {
  KUBE_APISERVER_CLIENT_KUBELET_SIGNER, KUBE_APISERVER_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, LEGACY_UNKNOWN_SIGNER, verifyCsrOnce,
} from "../api/index.ts";
import { equalBytes } from "../base/index.ts";
import { parseCertificatesPem, parsePrivateKeyPem, publicKeyMatches, type Certificate } from "../pki/index.ts";
import { readFile } from "node:fs/promises";

/** Flag infix → signerName (kube-controller-manager's csrsigning-* controllers). */
export const SIGNER_FLAGS = Object.freeze({
  "kubelet-serving": KUBELET_SERVING_SIGNER,
  "kubelet-client": KUBE_APISERVER_CLIENT_KUBELET_SIGNER,
  "kube-apiserver-client": KUBE_APISERVER_CLIENT_SIGNER,
  "legacy-unknown": LEGACY_UNKNOWN_SIGNER,
} as const);
export type SignerFlag = keyof typeof SIGNER_FLAGS;

export interface CertKeyFiles {
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface CsrSigningFlags extends CertKeyFiles {
  readonly perSigner?: Readonly<Partial<Record<SignerFlag, CertKeyFiles>>>;
  /** --cluster-signing-duration in ms (default 8760h). */
  readonly durationMs?: number;
  readonly approvalPolicyFile?: string;
}

export interface SigningSetup {
  readonly signers: ReadonlyMap<string, Signer>;
  readonly durationMs?: number;
  readonly policies: readonly ApprovalPolicy[];
}

const isSelfSigned = (c: Certificate): boolean => equalBytes(c.subjectDer, c.issuerDer);

/** The certificate matching the key, then its issuers found in the same file, nearest first. */
export function orderSigningChain(certs: readonly Certificate[], key: Parameters<typeof publicKeyMatches>[0]): { ca: Certificate; chain: Certificate[] } | undefined {
  const ca = certs.find((c) => publicKeyMatches(key, c.publicKey));
  if (ca === undefined) return undefined;
  const chain: Certificate[] = [];
  let cur = ca;
  while (!isSelfSigned(cur) && chain.length < certs.length) {
    const parent = certs.find((c) => c !== cur && equalBytes(c.subjectDer, cur.issuerDer) && !chain.includes(c));
    if (parent === undefined) break;
    chain.push(parent);
    cur = parent;
  }
  return { ca, chain };
}

interface SignerFiles {
  readonly flag: string; // "--cluster-signing" or "--cluster-signing-kubelet-serving"
  readonly certFile: string;
  readonly keyFile: string;
}

interface SignerPems {
  readonly certPem: string;
  readonly keyPem: string;
}

type Env = { readonly clock: Clock; readonly random: RandomSource };

/** "FLAG FILE: why" — the one-line form every error here takes. */
async function readNamed(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : (err as Error).message;
    throw new Error(`${flag} ${file}: cannot read: ${why}`);
  }
}

async function readPems(f: SignerFiles): Promise<SignerPems> {
  const read = (kind: "cert" | "key", file: string): Promise<string> => readNamed(`${f.flag}-${kind}-file`, file);
  return { certPem: await read("cert", f.certFile), keyPem: await read("key", f.keyFile) };
}

/** A Signer from a CA cert (+ chain) and key PEM; errors name `f`'s flags and files. */
export function signerFromPems(p: SignerPems, f: SignerFiles, env: Env): Signer {
  const fail = (kind: "cert" | "key", why: string): Error => new Error(`${f.flag}-${kind}-file ${kind === "cert" ? f.certFile : f.keyFile}: ${why}`);
  let certs: Certificate[];
  try {
    certs = parseCertificatesPem(p.certPem);
  } catch (err) {
    throw fail("cert", `cannot parse: ${(err as Error).message}`);
  }
  if (certs.length === 0) throw fail("cert", "holds no CERTIFICATE block");
  let key: ReturnType<typeof parsePrivateKeyPem>;
  try {
    key = parsePrivateKeyPem(p.keyPem);
  } catch (err) {
    throw fail("key", `cannot parse the private key: ${(err as Error).message.split("\n")[0] ?? ""}`);
  }
  const found = orderSigningChain(certs, key.publicKey);
  if (found === undefined) throw fail("key", `does not match any certificate in ${f.certFile}`);
  // The signer checks the CA itself (ca/ assertSigningCa: CA:TRUE, keyCertSign), naming flag and file.
  const files = { cert: `${f.flag}-cert-file ${f.certFile}`, key: `${f.flag}-key-file ${f.keyFile}` };
  // verifyCsrOnce: the API already verified this very (cached) Csr when the request was created.
  return createLocalSigner({ signerName: "kubernetes", caCertificate: found.ca, key: localKeySigner(key), chain: found.chain, verifyCsr: verifyCsrOnce, files, ...env });
}

function pairOf(flag: string, files: CertKeyFiles | undefined): SignerFiles | undefined {
  if (files?.certFile === undefined && files?.keyFile === undefined) return undefined;
  if (files.certFile === undefined || files.keyFile === undefined) throw new Error(`${flag}-cert-file and ${flag}-key-file go together`);
  return { flag, certFile: files.certFile, keyFile: files.keyFile };
}

/** The four built-in signers' CAs, the duration and the approval policies; files named in the flags
 *  win over the cluster CA. kube-controller-manager refuses the default pair together with per-signer
 *  files ("cannot specify default and per controller certs at the same time"); so do we. A signer
 *  without its own files uses the default pair (kpki: the cluster CA), or is not run when there is none. */
export async function loadSigning(flags: CsrSigningFlags, clusterCa: SignerPems | undefined, env: Env): Promise<SigningSetup> {
  const explicitDefault = pairOf("--cluster-signing", flags);
  const specific = Object.entries(SIGNER_FLAGS).map(([f, name]) => ({ name, files: pairOf(`--cluster-signing-${f}`, flags.perSigner?.[f as SignerFlag]) }));
  if (explicitDefault && specific.some((s) => s.files)) {
    throw new Error("--cluster-signing-cert-file/--cluster-signing-key-file cannot be combined with per-signer --cluster-signing-*-cert-file flags");
  }
  const clusterFiles: SignerFiles = { flag: "--cluster-signing", certFile: "(cluster CA)", keyFile: "(cluster CA key)" };
  const dflt = explicitDefault
    ? signerFromPems(await readPems(explicitDefault), explicitDefault, env)
    : clusterCa && signerFromPems(clusterCa, clusterFiles, env);
  const signers = new Map<string, Signer>();
  for (const s of specific) {
    const signer = s.files ? signerFromPems(await readPems(s.files), s.files, env) : dflt;
    if (signer !== undefined) signers.set(s.name, signer);
  }
  const policies = flags.approvalPolicyFile === undefined ? [] : await loadPolicies(flags.approvalPolicyFile);
  return { signers, ...(flags.durationMs !== undefined ? { durationMs: flags.durationMs } : {}), policies };
}

async function loadPolicies(file: string): Promise<ApprovalPolicy[]> {
  const text = await readNamed("--csr-approval-policy-file", file);
  try {
    return parseApprovalPolicies(text);
  } catch (err) {
    throw new Error(`--csr-approval-policy-file ${file}: ${(err as Error).message}`);
  }
}

export function hasSigningFiles(flags: CsrSigningFlags | undefined): boolean {
  return flags !== undefined && (flags.certFile !== undefined || Object.values(flags.perSigner ?? {}).some((f) => f?.certFile !== undefined || f?.keyFile !== undefined));
}
