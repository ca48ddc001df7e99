// kpki verify --ca CA --purpose client|server [--host H] [--at TIME] CERT: chain verification as a
// TLS peer would do it (RFC 5280 §6 path validation + EKU for the purpose + RFC 6125 host match).
import { parseCertificatesPem } from "../pki/index.ts";
import type { Purpose } from "../pki/index.ts";
import { verifyChain } from "../pki/index.ts";
import { messageOf } from "../base/index.ts";
import { defineCommand, requireStr, str } from "./args.ts";
import { CliError } from "./errors.ts";
import type { Io } from "./io.ts";

async function certsOf(io: Io, file: string) {
  try {
    const certs = parseCertificatesPem(await io.readText(file));
    if (certs.length === 0) throw new Error("no CERTIFICATE block");
    return certs;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError("input", `${file}: ${messageOf(err)}`);
  }
}

export const command = defineCommand(
  {
    name: "verify",
    summary: "Verify a certificate (chain) against a CA for a purpose, optionally a host name/IP and a time.",
    synopsis: ["verify --ca CA.pem --purpose client|server|any [--host H] [--at TIME] [--untrusted CHAIN.pem] CERT"],
    options: [
      { name: "ca", type: "string", arg: "FILE", help: "trusted root certificate(s), PEM" },
      { name: "purpose", type: "string", arg: "PURPOSE", help: "client | server | any (default any)" },
      { name: "host", type: "string", arg: "HOST", help: "DNS name or IP the certificate must match" },
      { name: "at", type: "string", arg: "TIME", help: "verification time, RFC 3339 (default now)" },
      { name: "untrusted", type: "string", arg: "FILE", help: "intermediate certificates, PEM" },
    ],
    notes: ["CERT may hold the leaf followed by intermediates. Exit status 0 when the chain verifies, 1 otherwise."],
  },
  async (p, io) => {
    const caFile = requireStr(p, "ca", "verify");
    const purpose = (str(p, "purpose") ?? "any") as Purpose;
    if (!["client", "server", "any"].includes(purpose)) throw new CliError("usage", `verify: --purpose must be client, server or any, not "${purpose}"`);
    const file = p.positionals[0];
    if (!file || p.positionals.length > 1) throw new CliError("usage", "verify: exactly one CERT file is required");
    const atText = str(p, "at");
    const at = atText ? new Date(atText) : new Date();
    if (Number.isNaN(at.getTime())) throw new CliError("usage", `verify: --at "${atText}" is not a time (use e.g. 2026-01-02T03:04:05Z)`);
    const roots = await certsOf(io, caFile);
    const [leaf, ...rest] = await certsOf(io, file);
    const untrusted = str(p, "untrusted");
    const intermediates = [...rest, ...(untrusted ? await certsOf(io, untrusted) : [])];
    const host = str(p, "host");
    const r = verifyChain(leaf!, { roots, intermediates, purpose, at, ...(host ? { host } : {}) });
    if (r.ok) {
      io.stdout(`${file}: OK (${purpose}${host ? `, ${host}` : ""}; chain of ${r.chain.length})\n`);
      return 0;
    }
    io.stdout(`${file}: FAILED: ${r.reason}\n`);
    return 1;
  },
);
