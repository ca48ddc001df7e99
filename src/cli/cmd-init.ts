// kpki init: write kubeadm's certificate and kubeconfig layout under --dir (reference §13).
// Plan first (keep valid existing files, say why), then apply; --dry-run stops after the plan.
import { systemClock, systemRandom } from "../base/index.ts";
import { DEFAULT_CLUSTER, parseClusterSpec } from "../config/index.ts";
import { applyPlan, clusterCertSpecs, defaultServerUrl, describePlan, loadExisting, planClusterPki } from "../cluster/index.ts";
import { bool, defineCommand, requireStr, str } from "./args.ts";
import { dirSource, ioSink } from "./pki-dir.ts";
import { CliError } from "./errors.ts";

export const command = defineCommand(
  {
    name: "init",
    summary: "Write a cluster's CAs, certificates, service-account key and kubeconfigs in kubeadm's layout.",
    synopsis: ["init --dir DIR [--config cluster.yaml] [--dry-run] [--server URL]"],
    options: [
      { name: "dir", type: "string", arg: "DIR", help: "output directory (kubeadm's /etc/kubernetes); pki/ goes below it" },
      { name: "config", type: "string", arg: "FILE", help: "cluster spec YAML (default: one control plane + the Hard Way's node-0, node-1)" },
      { name: "dry-run", type: "boolean", help: "print the plan, write nothing" },
      { name: "server", type: "string", arg: "URL", help: "API server URL in kubeconfigs (default https://<first control-plane IP>:6443)" },
    ],
    notes: [
      "Cluster spec fields: clusterName, controlPlane/workers: [{name, ips}], apiServerSANs, serviceCIDR (10.96.0.0/12;",
      "IPv6, or dual-stack \"v4,v6\" whose first range is primary),",
      "dnsDomain (cluster.local), keyAlgorithm (ecdsa-p256 | rsa-2048 | …, default ecdsa-p256), validity: {ca: 10y, leaf: 1y}.",
      "Re-running keeps existing CAs and valid certificates and re-issues only what changed or expired.",
    ].map((s) => s),
  },
  async (p, io) => {
    const dir = requireStr(p, "dir", "init");
    if (p.positionals.length > 0) throw new CliError("usage", `init: unexpected argument "${p.positionals[0]}"`);
    const cfg = str(p, "config");
    const spec = cfg ? await parseClusterSpec(await io.readText(cfg), cfg) : DEFAULT_CLUSTER;
    const server = str(p, "server") ?? defaultServerUrl(spec.controlPlane[0]?.ips ?? []);
    if (!/^https:\/\/[^/\s]+/.test(server)) throw new CliError("usage", `init: --server must be an https:// URL, not "${server}"`);
    const existing = await loadExisting(clusterCertSpecs(spec), dirSource(io, dir));
    const now = systemClock.now();
    const plan = planClusterPki(spec, existing, { now, server });
    const lines = describePlan(plan);
    if (bool(p, "dry-run")) {
      io.stdout(`dry run: nothing written. Plan for ${dir} (server ${server}):\n${lines.join("\n")}\n`);
      return 0;
    }
    const written = await applyPlan(plan, { dir, sink: ioSink(io), existing, clock: { now: () => now }, random: systemRandom });
    io.stdout(`${lines.join("\n")}\n`);
    const kept = plan.steps.filter((s) => s.action === "keep").length;
    io.stdout(`${dir}: wrote ${written.length} files; kept ${kept} existing item${kept === 1 ? "" : "s"}\n`);
    return 0;
  },
);
