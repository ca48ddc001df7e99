// A Node TLS server with requestCert + rejectUnauthorized, serving kpki init's apiserver
// certificate, accepts a client holding kpki's admin certificate and refuses one from another CA.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type Server, type TLSSocket } from "node:tls";
import { createServer as createHttpsServer } from "node:https";
import { nodeIo, runCli } from "../src/cli/index.ts";
import { parseKubeconfig, currentIdentity } from "../src/config/index.ts";

let dir = "";
let other = "";
let server: Server;
let port = 0;
const quiet = (cwd?: string) => nodeIo({ stdout: () => undefined, stderr: () => undefined, ...(cwd ? { cwd } : {}) });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpki-tls-"));
  other = mkdtempSync(join(tmpdir(), "kpki-tls-other-"));
  assert.equal(await runCli(["init", "--dir", dir], quiet()), 0);
  assert.equal(await runCli(["init", "--dir", other], quiet()), 0);
  const f = (p: string): string => readFileSync(join(dir, p), "utf8");
  server = createServer({ cert: f("pki/apiserver.crt"), key: f("pki/apiserver.key"), ca: f("pki/ca.crt"), requestCert: true, rejectUnauthorized: true }, (s) => {
    const peer = s.getPeerCertificate();
    s.end(`hello ${peer.subject.CN}\n`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  port = typeof a === "object" && a ? a.port : 0;
});

after(() => server.close());

async function clientOf(kubeconfigDir: string): Promise<{ cert: string; key: string }> {
  const kc = await parseKubeconfig(readFileSync(join(kubeconfigDir, "admin.conf"), "utf8"), "admin.conf");
  const { user } = currentIdentity(kc, "admin.conf");
  return { cert: user.certPem ?? "", key: user.keyPem ?? "" };
}

function handshake(id: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ host: "127.0.0.1", port, servername: "kubernetes.default.svc", ca: readFileSync(join(dir, "pki/ca.crt")), ...id }, () => undefined);
    let data = "";
    s.on("data", (d: Buffer) => (data += d.toString()));
    s.on("end", () => (data ? resolve(data) : reject(new Error("closed without data"))));
    s.on("error", reject);
  });
}

test("mTLS handshake succeeds with kpki certificates (server SAN kubernetes.default.svc, admin client)", async () => {
  assert.equal(await handshake(await clientOf(dir)), "hello kubernetes-admin\n");
});

test("mTLS handshake fails with a client certificate from another CA", async () => {
  await assert.rejects(handshake(await clientOf(other)));
});

test("Io.request: HTTPS with a kubeconfig's client certificate (mTLS) and CA; a wrong CA is refused", async () => {
  const f = (p: string): string => readFileSync(join(dir, p), "utf8");
  const api = createHttpsServer({ cert: f("pki/apiserver.crt"), key: f("pki/apiserver.key"), ca: f("pki/ca.crt"), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ kind: "Status", user: peer.subject.CN, path: req.url }));
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  const a = api.address();
  const url = `https://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  try {
    const id = await clientOf(dir);
    const io = quiet();
    const r = await io.request({ server: url, caPem: f("pki/ca.crt"), certPem: id.cert, keyPem: id.key }, "GET", "/api?x=1");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { kind: "Status", user: "kubernetes-admin", path: "/api?x=1" });
    await assert.rejects(io.request({ server: url, caPem: readFileSync(join(other, "pki/ca.crt"), "utf8"), certPem: id.cert, keyPem: id.key }, "GET", "/api"), /^CliError: GET https:\/\/127\.0\.0\.1:\d+\/api: /);
  } finally {
    api.close();
  }
});
