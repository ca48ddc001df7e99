// Read what a previous `kpki init` left in DIR, through an injected reader (cluster/ does no I/O).
// Parse failures become "broken" items with a one-line problem naming the file.
import type { Certificate, KeyPair } from "../pki/index.ts";
import { parseCertificatePem, parsePrivateKeyPem, publicKeyMatches } from "../pki/index.ts";
import { messageOf } from "../base/index.ts";
import type { CertSpec } from "./certlist.ts";
import { SA_KEY } from "./certlist.ts";
import type { ExistingItem, ExistingState } from "./plan.ts";

export interface PkiSource {
  /** File text relative to DIR, or undefined when the file does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** The current context's client certificate and key of a kubeconfig (relative to DIR), or undefined
   *  when the file does not exist; throws a one-line error when it cannot be read. Injected so that
   *  cluster/ needs no YAML parser (config/ has it). */
  readKubeconfigCredentials(path: string): Promise<{ certPem?: string; keyPem?: string } | undefined>;
}

function pair(certPem: string | undefined, keyPem: string | undefined, certName: string, keyName: string): ExistingItem | undefined {
  if (certPem === undefined && keyPem === undefined) return undefined;
  let key: KeyPair | undefined;
  if (keyPem !== undefined) {
    try {
      key = parsePrivateKeyPem(keyPem);
    } catch (err) {
      return { state: "broken", problem: `${keyName}: ${messageOf(err)}` };
    }
  }
  if (certPem === undefined) return key ? { state: "key-only", key } : undefined;
  let cert: Certificate;
  try {
    cert = parseCertificatePem(certPem);
  } catch (err) {
    return { state: "broken", problem: `${certName}: ${messageOf(err)}` };
  }
  if (!key) return { state: "cert-only", cert };
  return { state: "present", cert, key, keyMatches: publicKeyMatches(cert.publicKey, key.publicKey) };
}

async function loadOne(spec: CertSpec, src: PkiSource): Promise<ExistingItem | undefined> {
  if (spec.files) {
    const c = `${spec.files}.crt`;
    const k = `${spec.files}.key`;
    return pair(await src.readText(c), await src.readText(k), c, k);
  }
  if (!spec.kubeconfig) return undefined;
  try {
    const user = await src.readKubeconfigCredentials(spec.kubeconfig);
    if (user === undefined) return undefined;
    return pair(user.certPem, user.keyPem, `${spec.kubeconfig} client-certificate-data`, `${spec.kubeconfig} client-key-data`);
  } catch (err) {
    return { state: "broken", problem: messageOf(err) };
  }
}

export async function loadExisting(specs: readonly CertSpec[], src: PkiSource): Promise<ExistingState> {
  const out = new Map<string, ExistingItem>();
  const items = await Promise.all(specs.map((s) => loadOne(s, src)));
  specs.forEach((s, i) => {
    const it = items[i];
    if (it) out.set(s.name, it);
  });
  const saKey = await src.readText(`${SA_KEY.files}.key`);
  if (saKey !== undefined) {
    try {
      out.set("sa", { state: "key-only", key: parsePrivateKeyPem(saKey) });
    } catch (err) {
      out.set("sa", { state: "broken", problem: `${SA_KEY.files}.key: ${messageOf(err)}` });
    }
  }
  return out;
}
