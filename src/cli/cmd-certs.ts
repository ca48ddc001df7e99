// kpki certs check-expiration | renew: kubeadm's `certs` phase commands over an init'd DIR.
import { DAY, HOUR, MINUTE, systemClock, systemRandom } from "../base/index.ts";
import { encodeCertificatePem } from "../pki/index.ts";
import { DEFAULT_CLUSTER, currentIdentity, parseKubeconfig } from "../config/index.ts";
import type { CertSpec, ExistingState } from "../cluster/index.ts";
import { certSpecsForFiles, loadExisting, localCa, renewCertificate, writeIssued } from "../cluster/index.ts";
import { defineCommand, OUTPUT_OPTION, outputFormat, requireStr, str } from "./args.ts";
import { CliError } from "./errors.ts";
import type { Io } from "./io.ts";
import { dirSource, ioSink } from "./pki-dir.ts";
import { renderTable } from "./render.ts";
import { parseExpiry } from "../config/index.ts";

async function specsOf(io: Io, dir: string): Promise<CertSpec[]> {
  if (!(await io.exists(dir))) throw new CliError("io", `cannot read ${dir}: no such file or directory`);
  const kubelet = await io.listDir(`${dir}/pki/kubelet`).catch(() => []);
  return certSpecsForFiles(DEFAULT_CLUSTER, { kubelet, top: await io.listDir(dir) });
}

/** Go's "Jan 02, 2006 15:04 MST" in UTC, as kubeadm prints expiry. */
function kubeadmTime(d: Date): string {
  const m = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${m} ${p(d.getUTCDate())}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

/** apimachinery duration.ShortHumanDuration, which kubeadm uses for RESIDUAL TIME. */
function shortHuman(ms: number): string {
  if (ms < 0) return "<invalid>";
  if (ms < MINUTE) return `${Math.floor(ms / 1000)}s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h`;
  if (ms < 365 * DAY) return `${Math.floor(ms / DAY)}d`;
  return `${Math.floor(ms / (365 * DAY))}y`;
}

function rowsOf(specs: CertSpec[], existing: ExistingState, now: Date) {
  const out = [];
  for (const s of specs) {
    const it = existing.get(s.name);
    if (!it || it.state === "key-only") continue;
    const name = s.files ? s.name : (s.kubeconfig ?? s.name);
    if (it.state === "broken") {
      out.push({ name, isCa: s.isCa, ca: s.ca ?? "", problem: it.problem });
      continue;
    }
    const left = it.cert.notAfter.getTime() - now.getTime();
    // kubeadm: a CA whose key is absent is "externally managed".
    const external = s.isCa && it.state === "cert-only";
    out.push({ name, isCa: s.isCa, ca: s.ca ?? "", expires: it.cert.notAfter.toISOString(), expiresText: kubeadmTime(it.cert.notAfter), residual: shortHuman(left), residualSeconds: Math.floor(left / 1000), externallyManaged: external });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function checkExpiration(io: Io, dir: string, format: "text" | "json"): Promise<number> {
  const specs = await specsOf(io, dir);
  const rows = rowsOf(specs, await loadExisting(specs, dirSource(io, dir)), systemClock.now());
  const leaves = rows.filter((r) => !r.isCa);
  const cas = rows.filter((r) => r.isCa);
  if (format === "json") {
    io.stdout(`${JSON.stringify({ certificates: leaves, certificateAuthorities: cas }, null, 2)}\n`);
    return 0;
  }
  const cell = (r: (typeof rows)[number]): string[] => ("problem" in r ? [r.problem ?? "", ""] : [r.expiresText ?? "", r.residual ?? ""]);
  const ext = (r: (typeof rows)[number]): string => ("externallyManaged" in r && r.externallyManaged ? "yes" : "no");
  io.stdout(renderTable(["CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED"], leaves.map((r) => [r.name, ...cell(r), r.ca, ext(r)])));
  io.stdout("\n");
  io.stdout(renderTable(["CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"], cas.map((r) => [r.name, ...cell(r), ext(r)])));
  return 0;
}

async function kubeconfigTarget(io: Io, dir: string, file: string): Promise<{ server: string; clusterName: string }> {
  const kc = await parseKubeconfig(await io.readText(`${dir}/${file}`), file);
  const { cluster } = currentIdentity(kc, file);
  return { server: cluster.server, clusterName: cluster.name };
}

async function renew(io: Io, dir: string, target: string, validityMs: number): Promise<number> {
  const specs = await specsOf(io, dir);
  const existing = await loadExisting(specs, dirSource(io, dir));
  const chosen = target === "all" ? specs.filter((s) => !s.isCa && existing.get(s.name)?.state === "present") : specs.filter((s) => s.name === target || s.kubeconfig === target);
  if (chosen.length === 0) {
    const known = specs.filter((s) => !s.isCa && existing.has(s.name)).map((s) => s.name);
    throw new CliError("usage", `certs renew: unknown certificate "${target}" in ${dir} (have: ${known.join(", ")}, all)`);
  }
  const now = systemClock.now();
  // Check every target before writing anything: a bad CA must not leave "all" half-renewed.
  const jobs = [];
  for (const s of chosen) {
    if (s.isCa) throw new CliError("usage", `certs renew: "${s.name}" is a CA; CAs are not renewed (re-run init after removing it to replace it)`);
    const old = existing.get(s.name);
    const ca = existing.get(s.ca ?? "");
    if (old?.state !== "present") throw new CliError("input", `certs renew: ${s.name}: ${old?.state === "broken" ? old.problem : "not found"}`);
    if (ca?.state !== "present") throw new CliError("input", `certs renew: ${s.name}: its CA "${s.ca ?? ""}" is ${ca?.state === "broken" ? ca.problem : "missing (pki key and certificate needed)"}`);
    // A CA key that is not the certificate's would sign certificates that verify against nothing.
    const caFiles = `${dir}/${specs.find((x) => x.name === s.ca)?.files ?? s.ca ?? ""}`;
    if (!ca.keyMatches) throw new CliError("input", `certs renew: ${caFiles}.key does not match ${caFiles}.crt; nothing renewed`);
    const kc = s.kubeconfig ? await kubeconfigTarget(io, dir, s.kubeconfig) : { server: "", clusterName: "" };
    jobs.push({ s, old, ca, kc, signer: localCa(ca, systemRandom, caFiles) }); // refuses a non-CA, naming its files
  }
  for (const { s, old, ca, kc, signer } of jobs) {
    const issued = await renewCertificate(s, old.cert, signer, { now, validityMs });
    await writeIssued(s, issued, { dir, sink: ioSink(io), caPem: encodeCertificatePem(ca.cert), ...kc });
    // kubeadm prints the certificate's long name: "certificate for serving the Kubernetes API renewed".
    io.stdout(`${s.kubeconfig && !s.files ? `certificate embedded in the kubeconfig file ${s.kubeconfig}` : s.description} renewed\n`);
  }
  return 0;
}

export const command = defineCommand(
  {
    name: "certs",
    summary: "kubeadm's certs commands over an init'd directory: check-expiration, renew.",
    synopsis: ["certs check-expiration --dir DIR [-o json]", "certs renew NAME|all --dir DIR [--validity 8760h]"],
    options: [
      { name: "dir", type: "string", arg: "DIR", help: "directory written by kpki init" },
      OUTPUT_OPTION,
      { name: "validity", type: "string", arg: "DURATION", help: "renew: validity of the new certificates (default 8760h)" },
    ],
    notes: ["NAME is a row of check-expiration (apiserver, admin.conf, kubelet-node-0, …). Kubeconfigs are updated in place."],
  },
  async (p, io) => {
    const [sub, target, ...extra] = p.positionals;
    const dir = requireStr(p, "dir", "certs");
    if (sub === "check-expiration" && target === undefined) return checkExpiration(io, dir, outputFormat(p, "certs"));
    if (sub === "renew" && target !== undefined && extra.length === 0) {
      const v = str(p, "validity");
      return renew(io, dir, target, v ? parseExpiry(v, "certs renew", "--validity") : 365 * DAY);
    }
    throw new CliError("usage", `certs: expected "check-expiration" or "renew NAME|all" (see kpki certs --help)`);
  },
);
