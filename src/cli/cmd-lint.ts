// kpki lint FILE|DIR: the pre-issuance lint rules run over existing certificates (a kubeadm
// /etc/kubernetes/pki included). Each certificate's issuer is looked up among the certificates
// found, so "leaf outlives its CA" and signature checks apply inside a directory.
import type { Certificate, LintFinding } from "../pki/index.ts";
import { lintCertificate, verifySignedBy } from "../pki/index.ts";
import { defineCommand, OUTPUT_OPTION, outputFormat } from "./args.ts";
import { CliError } from "./errors.ts";
import type { Io } from "./io.ts";
import { readItems } from "./inspect-file.ts";

const CERT_FILE = /\.(crt|pem|cer|conf|kubeconfig)$/;

async function collect(io: Io, path: string, out: string[]): Promise<void> {
  let entries: string[] | undefined;
  try {
    entries = await io.listDir(path);
  } catch {
    entries = undefined;
  }
  if (entries === undefined) {
    out.push(path);
    return;
  }
  for (const e of entries) {
    const child = `${path.replace(/\/+$/, "")}/${e}`;
    const sub = await io.listDir(child).catch(() => undefined);
    if (sub !== undefined) await collect(io, child, out);
    else if (CERT_FILE.test(e) && !/-key\.pem$/.test(e)) out.push(child);
  }
}

export const command = defineCommand(
  {
    name: "lint",
    summary: "Check certificates against RFC 5280 and their role (the rules kpki applies before issuing).",
    synopsis: ["lint FILE|DIR... [-o json]"],
    options: [OUTPUT_OPTION],
    notes: ["Exit status: 0 when no error-level finding, 1 otherwise (warnings do not fail)."],
  },
  async (p, io) => {
    const format = outputFormat(p, "lint");
    if (p.positionals.length === 0) throw new CliError("usage", "lint: FILE or DIR is required (see kpki lint --help)");
    const files: string[] = [];
    for (const x of p.positionals) await collect(io, x, files);
    const certs: { label: string; cert: Certificate }[] = [];
    for (const f of files) {
      for (const it of await readItems(await io.readFile(f), f)) if (it.kind === "certificate") certs.push({ label: it.label, cert: it.cert });
    }
    const results = certs.map(({ label, cert }) => {
      const issuer = certs.find((c) => c.cert !== cert && verifySignedBy(cert, c.cert))?.cert;
      const findings: LintFinding[] = lintCertificate(cert, issuer ? { issuer } : {});
      return { file: label, findings };
    });
    const errors = results.reduce((n, r) => n + r.findings.filter((f) => f.level === "error").length, 0);
    if (format === "json") io.stdout(`${JSON.stringify(results, null, 2)}\n`);
    else {
      for (const r of results) {
        if (r.findings.length === 0) io.stdout(`ok     ${r.file}\n`);
        for (const f of r.findings) io.stdout(`${f.level.padEnd(6)} ${r.file}: ${f.id}: ${f.text}\n`);
      }
      io.stdout(`${results.length} certificate${results.length === 1 ? "" : "s"}, ${errors} error${errors === 1 ? "" : "s"}\n`);
    }
    return errors > 0 ? 1 : 0;
  },
);
