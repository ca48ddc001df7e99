// Revoking a leaked certificate end to end: a user's kubeconfig works with the real kubectl, `kpki
// certs revoke` makes the API server refuse it at once (kept-alive connections included) while other
// users keep working, `kpki certs crl` makes openssl refuse it too, and a revocation written while
// the server is stopped holds from its next start.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { Agent, request } from "node:https";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBase64, utf8 } from "../src/base/index.ts";
import { nodeIo, runCli } from "../src/cli/index.ts";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn, parseCertificatePem, parseCertificatesPem } from "../src/pki/index.ts";
import { issueClientCert, userKubeconfig, type PemPair } from "./helpers/certs.ts";
import { freePort, startTestServer, waitUntil, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

// main/cli.ts's rows (that module runs the CLI when imported).
const COMMANDS = [
  { name: "certs revoke", summary: "", load: () => import("../src/main/revocation-revoke.ts") },
  { name: "certs crl", summary: "", load: () => import("../src/main/revocation-crl.ts") },
  { name: "certs revocations", summary: "", load: () => import("../src/main/revocation-list.ts") },
  { name: "certs ledger", summary: "", load: () => import("../src/main/ledger.ts") },
];
const UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)";
const NS_READER = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ns-reader }
rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list"] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ns-readers }
subjects: [{ kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io }]
roleRef: { kind: ClusterRole, name: ns-reader, apiGroup: rbac.authorization.k8s.io }
`;

async function kpki(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io = nodeIo({ stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  const code = await runCli(args, io, COMMANDS);
  return { code, out, err };
}

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** GET /api on one kept-alive connection with `id`: the status and whether the socket was reused. */
function getApi(agent: Agent, url: string, caPem: string, id: PemPair): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL("/api", url), { agent, ca: caPem, cert: id.certPem, key: id.keyPem }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on("error", reject);
    req.end();
  });
}

const NGINX = "/usr/sbin/nginx";

/** Debian's nginx with ssl_verify_client on against the cluster CA and ssl_crl = `crl`; curl's HTTP
 *  status for each identity (nginx answers 400 to a refused client certificate). */
async function nginxStatuses(dir: string, crl: string, ids: Record<string, PemPair>): Promise<Record<string, string>> {
  const port = await freePort();
  const root = join(dir, "nginx");
  const pki = join(dir, "pki");
  await mkdir(join(root, "logs"), { recursive: true });
  const temps = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${root}/${t};`).join(" ");
  const conf = [
    "daemon off;", "master_process off;", `pid ${root}/nginx.pid;`, `error_log ${root}/logs/error.log;`, "events {}", "http {", `  access_log off; ${temps}`,
    "  server {", `    listen 127.0.0.1:${port} ssl;`, `    ssl_certificate ${pki}/apiserver.crt; ssl_certificate_key ${pki}/apiserver.key;`,
    `    ssl_verify_client on; ssl_client_certificate ${pki}/ca.crt;`, `    ssl_crl ${crl};`, '    location / { return 200 "ok\\n"; }', "  }", "}", "",
  ];
  await writeFile(join(root, "nginx.conf"), conf.join("\n"));
  const nginx = spawn(NGINX, ["-p", root, "-c", join(root, "nginx.conf"), "-e", join(root, "logs/error.log")], { stdio: "ignore" });
  try {
    const listening = (): Promise<boolean> =>
      new Promise((res) => {
        const c = connect(port, "127.0.0.1", () => (c.end(), res(true)));
        c.on("error", () => res(false));
      });
    await waitUntil(listening, 10_000, "nginx to listen");
    const out: Record<string, string> = {};
    for (const [name, id] of Object.entries(ids)) {
      await writeFile(join(root, `${name}.crt`), id.certPem);
      await writeFile(join(root, `${name}.key`), id.keyPem);
      out[name] = execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", join(pki, "ca.crt"), "--cert", join(root, `${name}.crt`), "--key", join(root, `${name}.key`), `https://127.0.0.1:${port}/`], { encoding: "utf8" });
    }
    return out;
  } finally {
    nginx.kill("SIGTERM");
  }
}

describe("certificate revocation", { skip: kubectlBinary() === undefined && "kubectl not installed" }, () => {
  let dir: string;
  let server: TestServer | undefined;
  let admin: Kubectl;
  let alice: Kubectl;
  let aliceId: PemPair;
  let bobId: PemPair;
  const file = (name: string): string => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kpki-revoke-"));
    server = await startTestServer({ dataDir: dir, storage: "sqlite" });
    admin = createKubectl(server.adminConf);
    assert.equal((await admin(["apply", "-f", "-"], { input: NS_READER })).code, 0);
    aliceId = await issueClientCert(server.ca, { cn: "alice", groups: ["devs"] });
    bobId = await issueClientCert(server.ca, { cn: "bob", groups: ["devs"] });
    await writeFile(file("alice.crt"), aliceId.certPem);
    await writeFile(file("bob.crt"), bobId.certPem);
    await writeFile(file("alice.conf"), userKubeconfig({ server: server.url, caPem: server.ca.certPem, user: "alice", pair: aliceId }));
    alice = createKubectl(file("alice.conf"));
  });
  after(async () => {
    admin?.cleanup();
    alice?.cleanup();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("revoke → kubectl with that certificate is Unauthorized at once, others keep working", async () => {
    assert.equal((await alice(["get", "ns", "default", "-o", "name"])).stdout.trim(), "namespace/default");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await getApi(agent, server!.url, server!.ca.certPem, aliceId)).status, 200);
      const r = await kpki("certs", "revoke", "--data-dir", dir, "--cert", file("alice.crt"), "--reason", "keyCompromise");
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^revoked: \S+ {2}[0-9a-f]+ {2}CN=alice,O=devs {2}issuer=CN=kubernetes {2}reason=keyCompromise {2}by=kubernetes-admin\n/);
      // The connection that authenticated alice before is refused on its next request.
      const again = await getApi(agent, server!.url, server!.ca.certPem, aliceId);
      assert.deepEqual(again, { status: 401, reused: true });
    } finally {
      agent.destroy();
    }
    // kubectl's own words for a 401 (a cold discovery cache words `get` differently; whoami does not).
    const k = await alice(["auth", "whoami"]);
    assert.deepEqual([k.code, k.stdout, k.stderr], [1, "", `${UNAUTHORIZED}\n`]);
    const g = await alice(["get", "ns", "default"]);
    assert.deepEqual([g.code, g.stdout, g.stderr], [1, "", `${UNAUTHORIZED}\n`]);
    await writeFile(file("bob.conf"), userKubeconfig({ server: server!.url, caPem: server!.ca.certPem, user: "bob", pair: bobId }));
    const bob = createKubectl(file("bob.conf"));
    try {
      assert.equal((await bob(["get", "ns", "default", "-o", "name"])).code, 0);
      assert.equal((await admin(["get", "ns", "default", "-o", "name"])).code, 0);
    } finally {
      bob.cleanup();
    }
  });

  it("revoking again says already revoked and exits 0; the list shows one record", async () => {
    const r = await kpki("certs", "revoke", "--data-dir", dir, "--cert", file("alice.crt"), "--reason", "superseded");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^certificate [0-9a-f]+ is already revoked \(since .*Z, reason keyCompromise\)\n$/);
    const list = await admin(["get", "--raw", "/kpki/revocations"]);
    const items = (JSON.parse(list.stdout) as { items: { serial: string; reason: string; revokedBy: string }[] }).items;
    assert.deepEqual(items.map((i) => [i.serial, i.reason, i.revokedBy]), [[parseCertificatePem(aliceId.certPem).serialHex, "keyCompromise", "kubernetes-admin"]]);
    // kpki certs revocations: the same list through the running server, a line per revocation or JSON.
    const text = await kpki("certs", "revocations", "--data-dir", dir);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, new RegExp(`^\\S+Z  ${parseCertificatePem(aliceId.certPem).serialHex}  CN=alice.*  issuer=CN=kubernetes  reason=keyCompromise  by=kubernetes-admin\\n$`));
    const json = await kpki("certs", "revocations", "--data-dir", dir, "-o", "json");
    assert.deepEqual((JSON.parse(json.out) as { items: { serial: string }[] }).items.map((i) => i.serial), [parseCertificatePem(aliceId.certPem).serialHex]);
    const bad = await kpki("certs", "revocations", "--data-dir", dir, "-o", "yaml");
    assert.deepEqual([bad.code, bad.err.trim()], [2, 'kpki: certs revocations: -o must be json or text, not "yaml"']);
  });

  it("kpki certs crl: openssl verify -crl_check refuses the revoked certificate, accepts another", async () => {
    const r = await kpki("certs", "crl", "--data-dir", dir, "-o", file("crl.pem"));
    assert.equal(r.code, 0, r.err);
    const crl = await readFile(file("crl.pem"), "utf8");
    assert.match(crl, /^-----BEGIN X509 CRL-----\n/);
    const text = openssl(["crl", "-in", file("crl.pem"), "-noout", "-text"]);
    assert.match(text.out, /Key Compromise/);
    const verify = (cert: string): { status: number | null; out: string } =>
      openssl(["verify", "-crl_check", "-CAfile", join(dir, "pki", "ca.crt"), "-CRLfile", file("crl.pem"), file(cert)]);
    const refused = verify("alice.crt");
    assert.notEqual(refused.status, 0);
    assert.match(refused.out, /certificate revoked/);
    assert.equal(verify("bob.crt").status, 0, verify("bob.crt").out);
  });

  it("nginx with ssl_crl refuses the revoked client certificate", { skip: !existsSync(NGINX) && "nginx not installed" }, async () => {
    assert.deepEqual(await nginxStatuses(dir, file("crl.pem"), { alice: aliceId, bob: bobId }), { alice: "400", bob: "200" });
  });

  it("bad input: one line and a non-zero exit", async () => {
    const cases: [string[], number, RegExp][] = [
      [["--cert", file("alice.crt"), "--reason", "certificateHold"], 2, /^kpki: certs revoke: unknown revocation reason "certificateHold": use one of unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn\n$/],
      [["--serial", "abcdef0123"], 1, /^kpki: serial abcdef0123 is not in the issuance ledger; .*\n$/],
      [["--cert", file("nope.crt")], 1, /^kpki: .*nope\.crt.*\n$/],
      [["--cert", file("alice.conf"), "--serial", "01"], 2, /^kpki: certs revoke: give exactly one of --cert FILE, --serial HEX or --csr NAME\n$/],
      [["--csr", "no-such-csr"], 1, /^kpki: no certificate issued for CSR "no-such-csr" in the ledger\n$/],
    ];
    for (const [args, code, msg] of cases) {
      const r = await kpki("certs", "revoke", "--data-dir", dir, ...args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, msg, args.join(" "));
    }
  });

  it("only RBAC-allowed users may revoke (nonResourceURLs, verb post)", async () => {
    const r = await kpki("certs", "revoke", "--kubeconfig", file("bob.conf"), "--cert", file("bob.crt"));
    assert.equal(r.code, 1);
    assert.match(r.err, /^kpki: POST https:\/\/127\.0\.0\.1:\d+\/kpki\/revocations: 403 forbidden: User "bob" cannot post path "\/kpki\/revocations"\n$/);
  });

  it("--csr NAME revokes the certificate the ledger holds for that CSR", async () => {
    const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
    const csr = encodeCsrPem(createCsr({ subject: makeDn([{ type: "O", value: "devs" }, { type: "CN", value: "carol" }]), key }));
    const yaml = `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: { name: carol }\nspec:\n  request: ${toBase64(utf8(csr))}\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [client auth]\n`;
    assert.equal((await admin(["create", "-f", "-"], { input: yaml })).code, 0);
    assert.equal((await admin(["certificate", "approve", "carol"])).code, 0);
    let serial = "";
    for (let i = 0; i < 100 && serial === ""; i++) {
      const r = await admin(["get", "csr", "carol", "-o", "jsonpath={.status.certificate}"]);
      if (r.stdout !== "") serial = parseCertificatesPem(Buffer.from(r.stdout, "base64").toString())[0]!.serialHex;
      else await new Promise((res) => setTimeout(res, 100));
    }
    const r = await kpki("certs", "revoke", "--data-dir", dir, "--csr", "carol", "--reason", "cessationOfOperation");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(` ${serial} {2}CN=carol,O=devs .* reason=cessationOfOperation `));
  });

  it("offline: revoked into DIR/kpki.db while stopped, refused from the next start", async () => {
    await server!.close();
    server = undefined;
    const r = await kpki("certs", "revoke", "--data-dir", dir, "--cert", file("bob.crt"));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /by=kpki certs revoke \(offline\)\nwritten to the data dir: kpki serve refuses it from its next start/);
    const listed = await kpki("certs", "revocations", "--data-dir", dir);
    assert.equal(listed.code, 0, listed.err);
    // Oldest first by the second, then by serial: bob's line need not be the last one.
    assert.match(listed.out, /CN=bob,O=devs .* by=kpki certs revoke \(offline\)$/m, "read from DIR/kpki.db with no server");
    const crl = await kpki("certs", "crl", "--data-dir", dir);
    assert.equal(crl.code, 0, crl.err);
    await writeFile(file("crl-offline.pem"), crl.out);
    assert.match(openssl(["verify", "-crl_check", "-CAfile", join(dir, "pki", "ca.crt"), "-CRLfile", file("crl-offline.pem"), file("bob.crt")]).out, /certificate revoked/);
    server = await startTestServer({ dataDir: dir, storage: "sqlite" });
    await writeFile(file("bob.conf"), userKubeconfig({ server: server.url, caPem: server.ca.certPem, user: "bob", pair: bobId }));
    const bob = createKubectl(file("bob.conf"));
    const adm = createKubectl(server.adminConf);
    try {
      const k = await bob(["auth", "whoami"]);
      assert.deepEqual([k.code, k.stdout, k.stderr], [1, "", `${UNAUTHORIZED}\n`]);
      assert.equal((await adm(["get", "ns", "default", "-o", "name"])).code, 0);
    } finally {
      bob.cleanup();
      adm.cleanup();
    }
  });
});
