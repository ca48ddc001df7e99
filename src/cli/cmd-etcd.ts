// kpki etcd flags: the etcd command line for one member of a secure etcd cluster, using the
// certificates `kpki init` wrote (kubeadm's layout: pki/etcd/{ca,server,peer}). It mirrors the
// flags of kubeadm's etcd static pod manifest: client and peer TLS both on, and client-cert-auth on
// both sides, so only holders of etcd-CA certificates (apiserver-etcd-client, peers) get in.
import { CliError } from "./errors.ts";
import { defineCommand, requireStr, str } from "./args.ts";

export interface EtcdPeer {
  readonly name: string;
  /** https://host:2380 */
  readonly peerUrl: string;
}

export interface EtcdMemberSpec {
  /** The directory `kpki init --dir` wrote (absolute). */
  readonly dir: string;
  readonly name: string;
  /** Every member of the initial cluster, this one included. */
  readonly peers: readonly EtcdPeer[];
  /** This member's client URL (default https://<its peer host>:2379). */
  readonly clientUrl?: string;
  /** Default /var/lib/etcd (kubeadm's). */
  readonly dataDir?: string;
}

/** The flags, one `--name=value` per element, in the order kubeadm's manifest lists them. */
export function etcdMemberFlags(m: EtcdMemberSpec): string[] {
  const self = m.peers.find((p) => p.name === m.name);
  if (!self) throw new CliError("usage", `etcd flags: --name "${m.name}" is not one of the --peers (${m.peers.map((p) => p.name).join(", ")})`);
  const clientUrl = m.clientUrl ?? withPort(self.peerUrl, 2379);
  const pki = `${m.dir.replace(/\/+$/, "")}/pki`;
  return [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir ?? "/var/lib/etcd"}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${self.peerUrl}`,
    `--initial-advertise-peer-urls=${self.peerUrl}`,
    `--initial-cluster=${m.peers.map((p) => `${p.name}=${p.peerUrl}`).join(",")}`,
    "--initial-cluster-state=new",
    "--client-cert-auth=true",
    `--trusted-ca-file=${pki}/etcd/ca.crt`,
    `--cert-file=${pki}/etcd/server.crt`,
    `--key-file=${pki}/etcd/server.key`,
    "--peer-client-cert-auth=true",
    `--peer-trusted-ca-file=${pki}/etcd/ca.crt`,
    `--peer-cert-file=${pki}/etcd/peer.crt`,
    `--peer-key-file=${pki}/etcd/peer.key`,
  ];
}

/** "a=https://10.0.0.1:2380,b=https://10.0.0.2:2380" → peers (etcd's --initial-cluster syntax). */
export function parsePeers(text: string): EtcdPeer[] {
  return text.split(",").filter((s) => s !== "").map((item) => {
    const eq = item.indexOf("=");
    const name = item.slice(0, eq).trim();
    const peerUrl = item.slice(eq + 1).trim();
    if (eq <= 0 || !/^https:\/\/[^/\s]+:\d+$/.test(peerUrl)) {
      throw new CliError("usage", `etcd flags: --peers entry "${item}" must be NAME=https://HOST:PORT`);
    }
    return { name, peerUrl };
  });
}

function withPort(url: string, port: number): string {
  return url.replace(/:\d+$/, `:${port}`);
}

/** Shell-quotes a word only when it needs it, so the printed command runs when pasted. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderEtcdCommand(flags: readonly string[]): string {
  return `etcd \\\n${flags.map((f) => `  ${shellWord(f)}`).join(" \\\n")}\n`;
}

export const command = defineCommand(
  {
    name: "etcd",
    summary: "Print the etcd command line for one member of a TLS etcd cluster using kpki init's certificates.",
    synopsis: ["etcd flags --dir DIR --name NODE [--peers NAME=https://IP:2380,…] [--client-url https://IP:2379] [--data-dir PATH]"],
    options: [
      { name: "dir", type: "string", arg: "DIR", help: "the directory kpki init wrote (pki/etcd/ca, server, peer are used)" },
      { name: "name", type: "string", arg: "NODE", help: "this member's name (one of --peers)" },
      { name: "peers", type: "string", arg: "LIST", help: "every member as NAME=https://IP:2380, comma-separated (default NODE=https://127.0.0.1:2380)" },
      { name: "client-url", type: "string", arg: "URL", help: "this member's client URL (default its peer host on port 2379)" },
      { name: "data-dir", type: "string", arg: "PATH", help: "etcd data directory (default /var/lib/etcd)" },
    ],
    notes: [
      "Clients (kpki serve --storage etcd) connect with --etcd-cafile DIR/pki/etcd/ca.crt",
      "--etcd-certfile DIR/pki/apiserver-etcd-client.crt --etcd-keyfile DIR/pki/apiserver-etcd-client.key.",
    ],
  },
  async (p, io) => {
    const [sub, ...rest] = p.positionals;
    if (sub !== "flags") throw new CliError("usage", `etcd: expected the subcommand "flags"${sub ? `, not "${sub}"` : ""}`);
    if (rest.length > 0) throw new CliError("usage", `etcd flags: unexpected argument "${rest[0]}"`);
    const dirArg = requireStr(p, "dir", "etcd flags");
    const name = requireStr(p, "name", "etcd flags");
    const dir = dirArg.startsWith("/") ? dirArg : `${io.cwd.replace(/\/+$/, "")}/${dirArg}`;
    const peers = parsePeers(str(p, "peers") ?? `${name}=https://127.0.0.1:2380`);
    const clientUrl = str(p, "client-url");
    if (clientUrl !== undefined && !/^https:\/\/[^/\s]+:\d+$/.test(clientUrl)) {
      throw new CliError("usage", `etcd flags: --client-url must be https://HOST:PORT, not "${clientUrl}"`);
    }
    const flags = etcdMemberFlags({ dir, name, peers, clientUrl, dataDir: str(p, "data-dir") });
    for (const f of ["etcd/ca.crt", "etcd/server.crt", "etcd/server.key", "etcd/peer.crt", "etcd/peer.key"]) {
      if (!(await io.exists(`${dir}/pki/${f}`))) io.stderr(`kpki: warning: ${dir}/pki/${f} does not exist; run kpki init --dir ${dirArg} first\n`);
    }
    io.stdout(renderEtcdCommand(flags));
    return 0;
  },
);
