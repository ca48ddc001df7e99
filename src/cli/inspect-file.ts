// Classify and describe what a file holds: PEM blocks (certificates, bundles, CSRs, private and
// public keys), raw DER, or a kubeconfig with embedded certificates. Shared by inspect and lint.
import type { Certificate } from "../pki/index.ts";
import {
  describeCertificate,
  describeCsr,
  formatKeyAlgorithm,
  parseCertificateDer,
  parseCertificatesPem,
  parseCsrDer,
  parseCsrPem,
  parsePublicKeyPem,
  verifyCsrSignature,
} from "../pki/index.ts";
import { decodePem, encodePem, fromUtf8, messageOf } from "../base/index.ts";
import { CliError } from "./errors.ts";
import { describePrivateKeyBlock } from "./inspect-key.ts";

export type Item =
  | { readonly kind: "certificate"; readonly label: string; readonly cert: Certificate }
  | { readonly kind: "csr"; readonly label: string; readonly facts: unknown }
  | { readonly kind: "private-key" | "public-key" | "ec-parameters"; readonly label: string; readonly facts: unknown };

const KEY_TYPES = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"];

export interface ReadOptions {
  /** Passphrase for encrypted private keys (inspect --passin). */
  readonly passphrase?: string;
}

function fail(file: string, err: unknown): never {
  throw new CliError("input", `${file}: ${messageOf(err)}`);
}

function fromPem(text: string, file: string, opts: ReadOptions = {}): Item[] {
  const all = (() => {
    try {
      return decodePem(text);
    } catch (err) {
      return fail(file, err);
    }
  })();
  // `openssl ecparam -genkey` writes an "EC PARAMETERS" block before the key: only the key matters.
  const blocks = all.some((b) => b.type !== "EC PARAMETERS") ? all.filter((b) => b.type !== "EC PARAMETERS") : all;
  if (blocks.length === 0) {
    if (text.includes("-----BEGIN")) fail(file, "truncated or malformed PEM (no complete BEGIN/END block)");
    return [];
  }
  const items: Item[] = [];
  let n = 0;
  for (const b of blocks) {
    const pem = encodePem(b.type, b.der);
    const label = blocks.length > 1 ? `${file} #${++n}` : file;
    try {
      if (b.type === "CERTIFICATE") items.push({ kind: "certificate", label, cert: parseCertificatesPem(pem)[0] ?? fail(file, "empty certificate") });
      else if (b.type === "CERTIFICATE REQUEST" || b.type === "NEW CERTIFICATE REQUEST") {
        const csr = parseCsrPem(pem);
        items.push({ kind: "csr", label, facts: { ...describeCsr(csr), signatureValid: verifyCsrSignature(csr) } });
      } else if (KEY_TYPES.includes(b.type)) items.push({ kind: "private-key", label, facts: describePrivateKeyBlock(b, opts.passphrase) });
      else if (b.type === "EC PARAMETERS") items.push({ kind: "ec-parameters", label, facts: { type: "EC parameters (no key)" } });
      else if (b.type === "PUBLIC KEY" || b.type === "RSA PUBLIC KEY") {
        items.push({ kind: "public-key", label, facts: { type: b.type === "PUBLIC KEY" ? "public key (SPKI)" : "public key (PKCS#1)", algorithm: formatKeyAlgorithm(parsePublicKeyPem(pem).algorithm) } });
      }
      else fail(file, `unsupported PEM block "${b.type}"`);
    } catch (err) {
      if (err instanceof CliError) throw err;
      fail(label, err);
    }
  }
  return items;
}

function fromDer(der: Uint8Array, file: string): Item[] {
  try {
    return [{ kind: "certificate", label: file, cert: parseCertificateDer(der) }];
  } catch {
    try {
      const csr = parseCsrDer(der);
      return [{ kind: "csr", label: file, facts: { ...describeCsr(csr), signatureValid: verifyCsrSignature(csr) } }];
    } catch (err) {
      return fail(file, `neither PEM nor a DER certificate or CSR (${messageOf(err)})`);
    }
  }
}

async function fromKubeconfig(text: string, file: string): Promise<Item[]> {
  const { parseKubeconfig } = await import("../config/index.ts");
  const kc = await parseKubeconfig(text, file);
  const items: Item[] = [];
  for (const c of kc.clusters) if (c.caPem) items.push(...fromPem(c.caPem, `${file} cluster "${c.name}" certificate-authority-data`));
  for (const u of kc.users) if (u.certPem) items.push(...fromPem(u.certPem, `${file} user "${u.name}" client-certificate-data`));
  return items;
}

/** Every item in a file's bytes; throws one line naming the file when nothing can be read. */
export async function readItems(bytes: Uint8Array, file: string, opts: ReadOptions = {}): Promise<Item[]> {
  const text = fromUtf8(bytes);
  if (text.includes("-----BEGIN")) {
    const items = fromPem(text, file, opts);
    if (items.length > 0) return items;
  }
  if (/^\s*(apiVersion|kind|clusters|users|contexts|current-context)\s*:/m.test(text) || /^\s*\{\s*"(apiVersion|kind|clusters)"/.test(text)) {
    return fromKubeconfig(text, file);
  }
  if (bytes.length > 0 && bytes[0] === 0x30) return fromDer(bytes, file);
  return fail(file, bytes.length === 0 ? "empty file" : "no PEM block, DER structure or kubeconfig found");
}

export function describeItem(it: Item): unknown {
  return it.kind === "certificate" ? describeCertificate(it.cert) : it.facts;
}
