// `kpki etcd flags` end to end: kpki init writes the PKI, the command prints the etcd command line,
// bash runs exactly that text, and the etcd it starts serves TLS to the apiserver-etcd-client
// certificate while refusing a client without a certificate (client-cert-auth is really on).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { command, etcdMemberFlags, parsePeers } from "../src/cli/cmd-etcd.ts";
import { nodeIo } from "../src/cli/io.ts";
import { connectEtcd } from "../src/storage/etcd/client.ts";

const REPO = resolve(import.meta.dirname, "..");

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function runCommand(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await command.run(args, nodeIo({ stdout: (s) => (out += s), stderr: (s) => (err += s) }));
  return { code, out, err };
}

describe("kpki etcd flags", () => {
  it("prints one flag per line with continuations, TLS on both sides", () => {
    const flags = etcdMemberFlags({ dir: "/etc/kubernetes", name: "cp1", peers: parsePeers("cp1=https://10.0.0.1:2380,cp2=https://10.0.0.2:2380") });
    assert.ok(flags.includes("--listen-client-urls=https://10.0.0.1:2379"));
    assert.ok(flags.includes("--initial-cluster=cp1=https://10.0.0.1:2380,cp2=https://10.0.0.2:2380"));
    for (const f of ["--client-cert-auth=true", "--peer-client-cert-auth=true", "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key"]) {
      assert.ok(flags.includes(f), f);
    }
    assert.throws(() => etcdMemberFlags({ dir: "/d", name: "x", peers: parsePeers("cp1=https://10.0.0.1:2380") }), /not one of the --peers/);
    assert.throws(() => parsePeers("cp1=http://10.0.0.1:2380"), /NAME=https:\/\/HOST:PORT/);
  });

  it("rejects a missing subcommand or --name as usage errors", async () => {
    await assert.rejects(runCommand(["--dir", "/d", "--name", "x"]), /expected the subcommand "flags"/);
    await assert.rejects(runCommand(["flags", "--dir", "/d"]), /--name is required/);
  });

  it("starts a TLS etcd that requires client certificates when bash runs the printed text", async () => {
    const dir = mkdtempSync(join("/dev/shm", "kpki-etcd-flags-"));
    const init = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "src/main/cli.ts"), "init", "--dir", dir], { cwd: REPO, encoding: "utf8" });
    assert.equal(init.status, 0, `kpki init failed: ${init.stderr}`);
    const [client, peer] = [await freePort(), await freePort()];
    const { code, out } = await runCommand([
      "flags", "--dir", dir, "--name", "node-a", "--peers", `node-a=https://127.0.0.1:${peer}`,
      "--client-url", `https://127.0.0.1:${client}`, "--data-dir", join(dir, "data"),
    ]);
    assert.equal(code, 0);
    assert.match(out, /^etcd \\\n {2}--name=node-a \\\n/);
    const etcd = spawn("bash", ["-c", `exec ${out}`], { stdio: "ignore" });
    const pem = (f: string): Promise<string> => readFile(join(dir, "pki", f), "utf8");
    const caPem = await pem("etcd/ca.crt");
    const endpoints = [`https://127.0.0.1:${client}`];
    const good = await connectEtcd({ endpoints, caPem, certPem: await pem("apiserver-etcd-client.crt"), keyPem: await pem("apiserver-etcd-client.key"), requestTimeoutMs: 1000 });
    const anonymous = await connectEtcd({ endpoints, caPem, requestTimeoutMs: 1000 });
    try {
      const end = Date.now() + 20_000;
      for (;;) {
        try {
          await good.client.kv.put({ key: Buffer.from("/hello"), value: Buffer.from("world") }, good.deadline());
          break;
        } catch (err) {
          if (Date.now() > end || etcd.exitCode !== null) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await assert.rejects(anonymous.client.kv.range({ key: Buffer.from("/hello") }, anonymous.deadline()));
    } finally {
      good.close();
      anonymous.close();
      etcd.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
