// kpki kubeconfig user: sign a user certificate (CN=name, O=groups) with the cluster CA in DIR and
// write a kubeconfig with embedded data — seed 001's openssl + CSR + kubectl steps in one command.
import { DAY, systemClock, systemRandom } from "../base/index.ts";
import { encodeCertificatePem, encodePrivateKeyPem, parseCertificatePem, parsePrivateKeyPem, emptySans } from "../pki/index.ts";
import { DEFAULT_CLUSTER, currentIdentity, parseExpiry, parseKubeconfig } from "../config/index.ts";
import { defaultServerUrl, issueLeaf, localCa, renderKubeconfig, subjectOf } from "../cluster/index.ts";
import { defineCommand, requireStr, str } from "./args.ts";
import { CliError, inFile } from "./errors.ts";
import type { Io } from "./io.ts";

/** DIR/pki/ca.{crt,key}; localCa checks that they can sign (a CA, keyCertSign, matching key), naming them. */
async function readCa(io: Io, dir: string) {
  const certFile = `${dir}/pki/ca.crt`;
  const keyFile = `${dir}/pki/ca.key`;
  const certText = await io.readText(certFile);
  const keyText = await io.readText(keyFile);
  const cert = inFile(certFile, () => parseCertificatePem(certText));
  const key = inFile(keyFile, () => parsePrivateKeyPem(keyText));
  return { cert, key };
}

/** The server and cluster name of DIR/admin.conf when present, else the defaults. */
async function clusterOf(io: Io, dir: string): Promise<{ server: string; clusterName: string }> {
  const admin = `${dir}/admin.conf`;
  if (!(await io.exists(admin))) return { server: defaultServerUrl(DEFAULT_CLUSTER.controlPlane[0]?.ips ?? []), clusterName: DEFAULT_CLUSTER.clusterName };
  const { cluster } = currentIdentity(await parseKubeconfig(await io.readText(admin), admin), admin);
  return { server: cluster.server, clusterName: cluster.name };
}

export const command = defineCommand(
  {
    name: "kubeconfig",
    summary: "Sign a user certificate with the cluster CA and write a kubeconfig with embedded data.",
    synopsis: ["kubeconfig user --dir DIR --name NAME [--group G]... [--server URL] [--validity 24h] [-o FILE]"],
    options: [
      { name: "dir", type: "string", arg: "DIR", help: "directory written by kpki init (uses pki/ca.crt, pki/ca.key)" },
      { name: "name", type: "string", arg: "NAME", help: "user name (certificate CN)" },
      { name: "group", type: "string", multiple: true, arg: "GROUP", help: "group (certificate O); repeatable" },
      { name: "server", type: "string", arg: "URL", help: "API server URL (default: admin.conf's server)" },
      { name: "validity", type: "string", arg: "DURATION", help: "certificate validity (default 8760h)" },
      { name: "output", short: "o", type: "string", arg: "FILE", help: "write the kubeconfig here (0600) instead of stdout" },
    ],
  },
  async (p, io) => {
    if (p.positionals[0] !== "user" || p.positionals.length !== 1) throw new CliError("usage", 'kubeconfig: expected "user" (see kpki kubeconfig --help)');
    const dir = requireStr(p, "dir", "kubeconfig user");
    const name = requireStr(p, "name", "kubeconfig user");
    const groups = (p.values["group"] as string[] | undefined) ?? [];
    const v = str(p, "validity");
    const validityMs = v ? parseExpiry(v, "kubeconfig user", "--validity") : 365 * DAY;
    const serverFlag = str(p, "server");
    if (serverFlag !== undefined && !/^https:\/\/[^/\s]+/.test(serverFlag)) throw new CliError("usage", `kubeconfig user: --server must be an https:// URL, not "${serverFlag}"`);
    const ca = await readCa(io, dir);
    const cluster = await clusterOf(io, dir);
    const server = serverFlag ?? cluster.server;
    const now = systemClock.now();
    const subject = subjectOf({ commonName: name, organizations: groups });
    const it = await issueLeaf(localCa(ca, systemRandom, `${dir}/pki/ca`), { subject, sans: emptySans(), usages: ["digital signature", "client auth"], role: "client", alg: ca.cert.keyAlgorithm.kind === "ed25519" ? ca.cert.keyAlgorithm : { kind: "ecdsa", curve: "P-256" }, validityMs, now });
    const text = renderKubeconfig({ clusterName: cluster.clusterName, server, caPem: encodeCertificatePem(ca.cert), userName: name, certPem: encodeCertificatePem(it.cert), keyPem: encodePrivateKeyPem(it.key) });
    const out = str(p, "output");
    if (out) {
      await io.writeFileAtomic(out, text, { mode: 0o600 });
      io.stderr(`wrote ${out} (user "${name}"${groups.length ? `, groups ${groups.join(", ")}` : ""}, expires ${it.cert.notAfter.toISOString()})\n`);
    } else io.stdout(text);
    return 0;
  },
);
