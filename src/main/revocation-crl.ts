// kpki certs crl: the cluster CA's certificate revocation list (RFC 5280 §5) in PEM, for nginx's
// ssl_crl, openssl verify -crl_check and other relying parties. From the running server's /kpki/crl,
// or built from DIR/kpki.db and signed with DIR/pki/ca.key when no server runs. It is valid for 24 h
// (nextUpdate): refresh it at least daily.
import { CliError, defineCommand, str, type ApiTarget, type Io } from "../cli/index.ts";
import { systemClock } from "../base/index.ts";
import { CRL_PATH, buildCrlPem } from "./revocation.ts";
import { onServerOrDataDir, serverFailure, whereFrom, type OfflineDir } from "./revocation-cli.ts";

async function crlOnline(io: Io, target: ApiTarget): Promise<string> {
  const r = await io.request(target, "GET", CRL_PATH, undefined, { accept: "application/x-pem-file, */*" });
  if (r.status !== 200) throw serverFailure(target, "GET", CRL_PATH, r);
  if (!r.text.startsWith("-----BEGIN X509 CRL-----")) throw new CliError("failed", `GET ${target.server}${CRL_PATH}: the answer is not a PEM CRL`);
  return r.text;
}

async function crlOffline(d: OfflineDir): Promise<string> {
  return buildCrlPem(d.backend, await d.signingCa(), systemClock.now());
}

export const command = defineCommand(
  {
    name: "certs crl",
    summary: "Print or write the cluster CA's CRL (PEM) listing every revoked certificate.",
    synopsis: ["certs crl [--data-dir DIR | --kubeconfig FILE] [-o FILE]"],
    options: [
      { name: "data-dir", type: "string", arg: "DIR", help: "kpki serve's data dir: its server if running (DIR/admin.conf), else DIR/kpki.db + DIR/pki/ca.{crt,key}" },
      { name: "kubeconfig", type: "string", arg: "FILE", help: `ask this server (GET ${CRL_PATH}); default $KUBECONFIG or ~/.kube/config` },
      { name: "output", short: "o", type: "string", arg: "FILE", help: "write the CRL to FILE (atomically) instead of stdout" },
    ],
    notes: ["The CRL is valid for 24 hours (nextUpdate); nginx refuses every client once it has expired, so refresh it at least daily."],
  },
  async (p, io) => {
    if (p.positionals.length > 0) throw new CliError("usage", `certs crl: unexpected argument "${p.positionals[0]}"`);
    const pem = await onServerOrDataDir(io, whereFrom("certs crl", p), (t) => crlOnline(io, t), crlOffline);
    const out = str(p, "output");
    if (out === undefined) io.stdout(pem);
    else await io.writeFileAtomic(out, pem, { mode: 0o644 });
    return 0;
  },
);
