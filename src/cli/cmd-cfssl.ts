// kpki cfssl …: cfssl 1.2's genkey, gencert, sign, certinfo and print-defaults, with its single-dash
// flags and its JSON on stdout, so `kpki cfssl … | kpki cfssljson -bare NAME` replaces
// `cfssl … | cfssljson -bare NAME` in seeds 003 and 004.
import type { Certificate, KeyAlgorithm, KeyPair, SubjectAltNames } from "../pki/index.ts";
import {
  createCsr, encodeCertificatePem, encodeCsrPem, encodePrivateKeyPem, generateKeyPair, generateKeyPairAsync,
  lintCertificate, makeSans, parseCertificatesPem, parseCsrPem, parsePrivateKeyPem, publicKeyMatches, sansFromHosts,
} from "../pki/index.ts";
import type { SigningProfile } from "../ca/index.ts";
import { CaError, createLocalSigner, createRootCa, localKeySigner } from "../ca/index.ts";
import { CFSSL_DEFAULT_PROFILE, parseCaConfig, parseCsrJson, selectProfile } from "../config/index.ts";
import type { CsrJson } from "../config/index.ts";
import { HOUR, messageOf, systemClock, systemRandom } from "../base/index.ts";
import { bool, defineCommand, str, type Parsed } from "./args.ts";
import { CliError, inFile } from "./errors.ts";
import type { Io } from "./io.ts";
import { cfsslCertInfo, goJson } from "./cfssl-json.ts";
import { cfsslCsrInfo } from "./cfssl-csr-info.ts";
import { PRINT_DEFAULTS } from "./cfssl-defaults.ts";

/** cfssl's -initca default validity (initca.go: 5 years). */
const CA_EXPIRY_MS = 43800 * HOUR;

async function newKey(alg: KeyAlgorithm): Promise<KeyPair> {
  return alg.kind === "rsa" ? generateKeyPairAsync(alg) : generateKeyPair(alg);
}

/** cfssl writes PKCS#1 for RSA and SEC1 for ECDSA keys ("RSA PRIVATE KEY", "EC PRIVATE KEY"). */
function keyPem(k: KeyPair): string {
  return encodePrivateKeyPem(k, { format: k.algorithm.kind === "rsa" ? "pkcs1" : k.algorithm.kind === "ecdsa" ? "sec1" : "pkcs8" });
}

/** -hostname "a,b,1.2.3.4" replaces the request's hosts (cfssl signer.SplitHosts). */
function hostsOverride(p: Parsed): SubjectAltNames | undefined {
  const h = str(p, "hostname");
  return h === undefined || h === "" ? undefined : sansFromHosts(h.split(",").map((s) => s.trim()).filter(Boolean));
}

async function loadSigner(io: Io, p: Parsed) {
  const caFile = str(p, "ca");
  const keyFile = str(p, "ca-key");
  if (!caFile || !keyFile) throw new CliError("usage", "cfssl: -ca and -ca-key are required to sign (or use -initca)");
  const caText = await io.readText(caFile);
  const keyText = await io.readText(keyFile);
  const caCert: Certificate = inFile(caFile, () => {
    const c = parseCertificatesPem(caText)[0];
    if (!c) throw new Error("no CERTIFICATE block");
    return c;
  });
  const key = inFile(keyFile, () => parsePrivateKeyPem(keyText));
  if (!publicKeyMatches(caCert.publicKey, key.publicKey)) throw new CliError("input", `${keyFile}: private key does not match the certificate in ${caFile}`);
  const now = systemClock.now();
  // cfssl signs with any certificate; kpki's signer refuses a non-CA (assertSigningCa), naming caFile.
  const files = { cert: caFile, key: keyFile };
  return createLocalSigner({ signerName: "cfssl", caCertificate: caCert, key: localKeySigner(key), clock: { now: () => now }, random: systemRandom, files });
}

async function loadProfile(io: Io, p: Parsed): Promise<SigningProfile> {
  const cfgFile = str(p, "config");
  if (!cfgFile) {
    const name = str(p, "profile");
    if (name) throw new CliError("input", `unknown profile "${name}" (no -config given)`);
    return CFSSL_DEFAULT_PROFILE;
  }
  const cfg = parseCaConfig(await io.readText(cfgFile), cfgFile);
  return selectProfile(cfg, str(p, "profile"), cfgFile);
}

async function signCsr(io: Io, p: Parsed, csrPem: string, file: string, sans?: SubjectAltNames): Promise<string> {
  const csr = inFile(file, () => parseCsrPem(csrPem));
  const signer = await loadSigner(io, p);
  const profile = await loadProfile(io, p);
  const override = hostsOverride(p) ?? sans;
  const opts = override ? { sans: override } : {};
  try {
    return encodeCertificatePem((await signer.sign(csr, profile, opts)).certificate);
  } catch (err) {
    if (!(err instanceof CaError && err.code === "lint-failed" && err.message.includes(HOSTLESS))) throw new CliError("input", `${file}: ${messageOf(err)}`);
  }
  // cfssl issues server-auth profiles without hosts and only warns (seed 004's client certificate
  // uses such a profile). kpki does the same for that one finding; every other lint error still refuses.
  const { certificate } = await signer.sign(csr, profile, { ...opts, skipLint: true });
  const others = lintCertificate(certificate, { issuer: signer.caCertificate }).filter((f) => f.level === "error" && f.id !== HOSTLESS);
  if (others[0]) throw new CliError("input", `${file}: refusing to issue: ${others[0].id}: ${others[0].text}`);
  io.stderr(`[WARNING] This certificate lacks a "hosts" field. This makes it unsuitable for websites.\n`);
  return encodeCertificatePem(certificate);
}

const HOSTLESS = "e_server_auth_without_san";

/** -initca (cfssl initca.New / NewFromPEM with -ca-key): a self-signed root from csr.json. As cfssl's
 *  local signer does for a root, the certificate keeps the request's IP hosts and drops DNS, email
 *  and URI hosts (the CSR keeps them all); keyUsage is cfssl's "cert sign" + "crl sign". */
async function initCa(io: Io, p: Parsed, req: CsrJson): Promise<Record<string, string>> {
  const keyFile = str(p, "ca-key");
  const keyText = keyFile ? await io.readText(keyFile) : undefined;
  const k = keyFile && keyText !== undefined ? inFile(keyFile, () => parsePrivateKeyPem(keyText)) : await newKey(req.key);
  const hosts = sansFromHosts([...req.hosts]);
  const csrPem = encodeCsrPem(createCsr({ subject: req.subject, sans: hosts, key: k, ca: true }));
  const now = systemClock.now();
  const cert = await createRootCa({
    subject: req.subject,
    key: k,
    validityMs: req.ca?.expiryMs ?? CA_EXPIRY_MS,
    ...(req.ca?.pathLen !== undefined ? { pathLen: req.ca.pathLen } : {}),
    keyUsage: ["keyCertSign", "cRLSign"],
    ...(hosts.ip.length > 0 ? { sans: makeSans({ ip: hosts.ip }) } : {}),
    clock: { now: () => now },
    random: systemRandom,
  });
  return { cert: encodeCertificatePem(cert), csr: csrPem, key: keyPem(k) };
}

async function gencert(io: Io, p: Parsed, file: string, keyOnly: boolean): Promise<Record<string, string>> {
  const req = parseCsrJson(await io.readText(file), file);
  if (bool(p, "initca")) return initCa(io, p, req); // cfssl ignores -hostname with -initca
  const hosts = hostsOverride(p) ?? sansFromHosts([...req.hosts]);
  if (!keyOnly) await loadSigner(io, p); // fail on a bad CA before generating a key
  const key = await newKey(req.key);
  const csrPem = encodeCsrPem(createCsr({ subject: req.subject, sans: hosts, key }));
  if (keyOnly) return { csr: csrPem, key: keyPem(key) };
  return { cert: await signCsr(io, p, csrPem, file, hosts), csr: csrPem, key: keyPem(key) };
}

async function certinfo(io: Io, p: Parsed): Promise<unknown> {
  const certFile = str(p, "cert");
  const csrFile = str(p, "csr");
  if (certFile) {
    const text = await io.readText(certFile);
    return inFile(certFile, () => {
      const c = parseCertificatesPem(text)[0];
      if (!c) throw new Error("no CERTIFICATE block");
      return cfsslCertInfo(c);
    });
  }
  if (csrFile) {
    const text = await io.readText(csrFile);
    return inFile(csrFile, () => cfsslCsrInfo(parseCsrPem(text)));
  }
  throw new CliError("usage", "cfssl certinfo: -cert FILE or -csr FILE is required");
}

function onePositional(p: Parsed, sub: string, what: string): string {
  const f = p.positionals[1];
  if (f === undefined || p.positionals.length > 2) throw new CliError("usage", `cfssl ${sub}: expected one ${what} argument ("-" for stdin)`);
  return f;
}

export const command = defineCommand(
  {
    name: "cfssl",
    summary: "cfssl-compatible commands printing cfssl's JSON: genkey, gencert, sign, certinfo, print-defaults.",
    synopsis: [
      "cfssl genkey [-initca] csr.json",
      "cfssl gencert -initca [-ca-key=existing-key.pem] csr.json",
      "cfssl gencert -ca=ca.pem -ca-key=ca-key.pem [-config=ca-config.json] [-profile=NAME] [-hostname=H,…] csr.json",
      "cfssl sign -ca ca.pem -ca-key ca-key.pem [-config … -profile …] [-hostname …] csr.pem",
      "cfssl certinfo -cert FILE | -csr FILE",
      "cfssl print-defaults config|csr|list",
    ],
    singleDash: true,
    options: [
      { name: "initca", type: "boolean", help: "make a self-signed CA from csr.json" },
      { name: "ca", type: "string", arg: "FILE", help: "CA certificate (PEM)" },
      { name: "ca-key", type: "string", arg: "FILE", help: "CA private key (PEM); with -initca, the key of the new CA" },
      { name: "config", type: "string", arg: "FILE", help: "ca-config.json with signing profiles" },
      { name: "profile", type: "string", arg: "NAME", help: "signing profile (default: signing.default)" },
      { name: "hostname", type: "string", arg: "HOSTS", help: "comma-separated SANs, replacing the request's hosts" },
      { name: "cert", type: "string", arg: "FILE", help: "certinfo: certificate file" },
      { name: "csr", type: "string", arg: "FILE", help: "certinfo: CSR file" },
      { name: "loglevel", type: "string", arg: "N", help: "accepted for compatibility; ignored" },
    ],
    notes: ['Flags take one dash as in cfssl (-ca=x or -ca x); "-" reads stdin. Output is JSON: {"cert","csr","key"}.'],
  },
  async (p, io) => {
    const sub = p.positionals[0];
    let out: unknown;
    if (sub === "genkey") out = await gencert(io, p, onePositional(p, sub, "csr.json"), !bool(p, "initca"));
    else if (sub === "gencert") out = await gencert(io, p, onePositional(p, sub, "csr.json"), false);
    else if (sub === "sign") {
      const f = onePositional(p, sub, "CSR file");
      out = { cert: await signCsr(io, p, await io.readText(f), f) };
    } else if (sub === "certinfo") out = await certinfo(io, p);
    else if (sub === "print-defaults") {
      const what = onePositional(p, sub, "config|csr|list");
      const text = PRINT_DEFAULTS[what];
      if (text === undefined) throw new CliError("usage", `cfssl print-defaults: unknown type "${what}" (config, csr, list)`);
      io.stdout(text);
      return 0;
    } else throw new CliError("usage", `cfssl: unknown subcommand "${sub ?? ""}" (genkey, gencert, sign, certinfo, print-defaults)`);
    io.stdout(sub === "certinfo" ? `${goJson(out, 2)}\n` : `${goJson(out)}\n`);
    return 0;
  },
);
