// kpki certs revoke: revoke a leaked certificate with one command. Through the running server
// (POST /kpki/revocations, which every replica's API server then refuses), or written straight into
// DIR/kpki.db when no server runs. The certificate is named by its file (a PEM, or a kubeconfig such
// as admin.conf whose client certificate leaked), its serial, or the CSR it was issued for.
import { CliError, apiTargetFromKubeconfig, defineCommand, str, type ApiTarget, type Io } from "../cli/index.ts";
import { REVOCATION_REASONS, formatRevocation, reasonError, revokeCertificate, type RevocationRecord } from "../controllers/index.ts";
import { encodeCertificatePem, parseCertificatePem } from "../pki/index.ts";
import { systemClock } from "../base/index.ts";
import { readLedger } from "./ledger.ts";
import { REVOCATIONS_PATH, revocationAnswer, type RevocationResponse } from "./revocation.ts";
import { onServerOrDataDir, serverFailure, whereFrom, type OfflineDir, type Where } from "./revocation-cli.ts";

/** A certificate PEM from FILE: the first CERTIFICATE block, or a kubeconfig's client certificate. */
async function certificateFrom(io: Io, file: string): Promise<string> {
  const text = await io.readText(file);
  let pem = text;
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    const target = await apiTargetFromKubeconfig(io, file).catch(() => undefined);
    if (target?.target.certPem === undefined) throw new CliError("input", `${file}: no CERTIFICATE PEM block and no kubeconfig client certificate in it`);
    pem = target.target.certPem;
  }
  try {
    return encodeCertificatePem(parseCertificatePem(pem));
  } catch (err) {
    throw new CliError("input", `${file}: cannot read the certificate: ${(err as Error).message}`);
  }
}

/** --csr NAME → the one certificate the ledger holds for that CSR (a reused name may have several). */
async function serialOfCsr(io: Io, w: Where, name: string): Promise<string> {
  const found = (await readLedger(io, w)).filter((r) => r.csr.name === name && r.discarded === undefined);
  if (found.length === 0) throw new CliError("input", `no certificate issued for CSR "${name}" in the ledger`);
  if (found.length > 1) throw new CliError("input", `CSR name "${name}" was used for ${found.length} certificates (serials ${found.map((r) => r.serial).join(", ")}): use --serial`);
  return (found[0] as { serial: string }).serial;
}

async function revokeOnline(io: Io, target: ApiTarget, body: Record<string, string>): Promise<RevocationResponse> {
  const r = await io.request(target, "POST", REVOCATIONS_PATH, body);
  if (r.status !== 200 && r.status !== 201) throw serverFailure(target, "POST", REVOCATIONS_PATH, r);
  return r.body as RevocationResponse;
}

async function revokeOffline(d: OfflineDir, body: Record<string, string>): Promise<RevocationResponse> {
  const result = await revokeCertificate(body, { backend: d.backend, cas: d.caCerts, revokedBy: "kpki certs revoke (offline)", now: systemClock.now() });
  if (result.outcome === "invalid" || result.outcome === "not-found") throw new CliError("input", result.message);
  return revocationAnswer(result).body;
}

function describe(r: RevocationResponse, offline: boolean): string {
  const rec: RevocationRecord = r.record;
  if (r.outcome === "already-revoked") return `certificate ${rec.serial} is already revoked (since ${rec.revokedAt}, reason ${rec.reason})\n`;
  const where = offline ? "written to the data dir: kpki serve refuses it from its next start" : "the API server refuses it from now on";
  return `revoked: ${formatRevocation(rec)}\n${where}; publish the CRL with: kpki certs crl\n`;
}

export const command = defineCommand(
  {
    name: "certs revoke",
    summary: "Revoke a certificate: kpki serve refuses it and the CRL (kpki certs crl) lists it.",
    synopsis: ["certs revoke [--data-dir DIR | --kubeconfig FILE] (--cert FILE | --serial HEX [--issuer DN] | --csr NAME) [--reason REASON]"],
    options: [
      { name: "data-dir", type: "string", arg: "DIR", help: "kpki serve's data dir: its server if running (DIR/admin.conf), else DIR/kpki.db" },
      { name: "kubeconfig", type: "string", arg: "FILE", help: `revoke through this server (POST ${REVOCATIONS_PATH}); default $KUBECONFIG or ~/.kube/config` },
      { name: "cert", type: "string", arg: "FILE", help: "the certificate (PEM, or a kubeconfig holding it, e.g. a leaked admin.conf)" },
      { name: "serial", type: "string", arg: "HEX", help: "its serial number in hex (looked up in the issuance ledger)" },
      { name: "issuer", type: "string", arg: "DN", help: "with --serial: the issuing CA's subject (RFC 4514), for certificates not in the ledger" },
      { name: "csr", type: "string", arg: "NAME", help: "the certificate issued for this CertificateSigningRequest (from the ledger)" },
      { name: "reason", type: "string", arg: "REASON", help: `RFC 5280 reason: ${REVOCATION_REASONS.join(", ")} (default unspecified)` },
    ],
    notes: [`Needs POST on the non-resource URL ${REVOCATIONS_PATH} (cluster-admin has it).`, "Revoking an already revoked certificate is not an error."],
  },
  async (p, io) => {
    if (p.positionals.length > 0) throw new CliError("usage", `certs revoke: unexpected argument "${p.positionals[0]}"`);
    const w = whereFrom("certs revoke", p);
    const reason = str(p, "reason") ?? "unspecified";
    if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) throw new CliError("usage", `certs revoke: ${reasonError(reason)}`);
    const given = ["cert", "serial", "csr"].filter((k) => str(p, k) !== undefined);
    if (given.length !== 1) throw new CliError("usage", "certs revoke: give exactly one of --cert FILE, --serial HEX or --csr NAME");
    if (str(p, "issuer") !== undefined && str(p, "serial") === undefined) throw new CliError("usage", "certs revoke: --issuer goes with --serial");
    const cert = str(p, "cert");
    const csr = str(p, "csr");
    const issuer = str(p, "issuer");
    const body: Record<string, string> = { reason };
    if (cert !== undefined) body["certificate"] = await certificateFrom(io, cert);
    else body["serial"] = csr !== undefined ? await serialOfCsr(io, w, csr) : (str(p, "serial") as string);
    if (issuer !== undefined) body["issuer"] = issuer;
    let offline = false;
    const answer = await onServerOrDataDir(io, w, (t) => revokeOnline(io, t, body), (d) => ((offline = true), revokeOffline(d, body)));
    io.stdout(describe(answer, offline));
    return 0;
  },
);
