// kpki certs revocations: every revoked certificate (serial, subject, issuer, reason, when and by whom),
// from the running server's GET /kpki/revocations or, when none answers, from DIR/kpki.db — the list
// `kpki certs revoke` writes and `kpki certs crl` publishes.
import { CliError, defineCommand, outputFormat, type ApiTarget, type Io } from "../cli/index.ts";
import { formatRevocation, listRevocations, type StoredRevocation } from "../controllers/index.ts";
import { REVOCATIONS_PATH, type RevocationList } from "./revocation.ts";
import { onServerOrDataDir, serverFailure, whereFrom, type OfflineDir } from "./revocation-cli.ts";

async function listOnline(io: Io, target: ApiTarget): Promise<readonly StoredRevocation[]> {
  const r = await io.request(target, "GET", REVOCATIONS_PATH);
  if (r.status !== 200) throw serverFailure(target, "GET", REVOCATIONS_PATH, r);
  const body = r.body as Partial<RevocationList> | undefined;
  if (body?.kind !== "RevocationList" || !Array.isArray(body.items)) throw new CliError("failed", `GET ${target.server}${REVOCATIONS_PATH}: the answer is not a RevocationList`);
  return body.items;
}

async function listOffline(d: OfflineDir): Promise<readonly StoredRevocation[]> {
  return (await listRevocations(d.backend)).items;
}

export const command = defineCommand(
  {
    name: "certs revocations",
    summary: "List every revoked certificate: serial, subject, issuer, reason, when and by whom.",
    synopsis: ["certs revocations [--data-dir DIR | --kubeconfig FILE] [-o json]"],
    options: [
      { name: "data-dir", type: "string", arg: "DIR", help: "kpki serve's data dir: its server if running (DIR/admin.conf), else DIR/kpki.db" },
      { name: "kubeconfig", type: "string", arg: "FILE", help: `ask this server (GET ${REVOCATIONS_PATH}); default $KUBECONFIG or ~/.kube/config` },
      { name: "output", short: "o", type: "string", arg: "json|text", help: "output format (default text: one revocation a line, oldest first)" },
    ],
    notes: [`Needs GET on the non-resource URL ${REVOCATIONS_PATH} (cluster-admin has it).`],
  },
  async (p, io) => {
    if (p.positionals.length > 0) throw new CliError("usage", `certs revocations: unexpected argument "${p.positionals[0]}"`);
    const output = outputFormat(p, "certs revocations");
    const items = [...(await onServerOrDataDir(io, whereFrom("certs revocations", p), (t) => listOnline(io, t), listOffline))];
    items.sort((a, b) => a.revokedAt.localeCompare(b.revokedAt) || a.serial.localeCompare(b.serial));
    if (output === "json") io.stdout(`${JSON.stringify({ apiVersion: "kpki.io/v1", kind: "RevocationList", items }, null, 2)}\n`);
    else io.stdout(items.length === 0 ? "No certificates revoked\n" : items.map((r) => `${formatRevocation(r)}\n`).join(""));
    return 0;
  },
);
