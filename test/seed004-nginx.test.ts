// Seed 004 end to end with kpki in place of cfssl: a root CA from rootCA-csr.json, server and client
// certificates from the seed's JSON and its "root-ca" profile, then Debian's nginx with
// ssl_verify_client on: curl with the client certificate gets 200, without it 400.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeKpki } from "../src/cli/testing.ts";

const NGINX = "/usr/sbin/nginx";
let dir = "";
let port = 0;
let nginx: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function waitForPort(p: number, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(p, "127.0.0.1", () => {
        c.end();
        resolve(true);
      });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`nginx did not listen on ${p}`);
}

const SEED_FILES: Record<string, unknown> = {
  "rootCA-config.json": { signing: { default: { expiry: "8760h" }, profiles: { "root-ca": { usages: ["signing", "key encipherment", "server auth", "client auth"], expiry: "8760h" } } } },
  "rootCA-csr.json": { CN: "rootCA", key: { algo: "rsa", size: 2048 }, names: [{ O: "Kubernetes" }] },
  // The seed adds the server's public IP; here the server is on loopback.
  "server-csr.json": { CN: "localhost", hosts: ["localhost", "127.0.0.1"], key: { algo: "rsa", size: 2048 }, names: [{ O: "server-group" }] },
  "client-csr.json": { CN: "localhost", key: { algo: "rsa", size: 2048 }, names: [{ O: "client-group" }] },
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpki-seed004-"));
  for (const [f, v] of Object.entries(SEED_FILES)) writeFileSync(join(dir, f), JSON.stringify(v, null, 2));
  const steps: [string[], string[]][] = [
    [["cfssl", "gencert", "-initca", "rootCA-csr.json"], ["cfssljson", "-bare", "rootCA"]],
    [["cfssl", "gencert", "-ca=rootCA.pem", "-ca-key=rootCA-key.pem", "-config=rootCA-config.json", "-profile=root-ca", "server-csr.json"], ["cfssljson", "-bare", "server"]],
    [["cfssl", "gencert", "-ca=rootCA.pem", "-ca-key=rootCA-key.pem", "-config=rootCA-config.json", "-profile=root-ca", "client-csr.json"], ["cfssljson", "-bare", "client"]],
  ];
  for (const [a, b] of steps) {
    const r = await pipeKpki(a, b, dir);
    assert.equal(r.status, 0, `${a.join(" ")}: ${r.stderr}`);
  }
  port = await freePort();
  mkdirSync(join(dir, "logs"));
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    server_name localhost;
    ssl_certificate      ${dir}/server.pem;
    ssl_certificate_key  ${dir}/server-key.pem;
    ssl_verify_client on;
    ssl_client_certificate ${dir}/rootCA.pem;
    location / { return 200 "Welcome to nginx!\\n"; }
  }
}
`,
  );
  nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs/error.log")], { stdio: "ignore" });
  await waitForPort(port);
});

after(() => {
  nginx?.kill("SIGTERM");
});

function curl(...args: string[]): string {
  return execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "rootCA.pem", ...args, `https://localhost:${port}/`], { cwd: dir, encoding: "utf8" });
}

test("seed 004: curl with kpki's client certificate gets 200 from nginx (ssl_verify_client on)", () => {
  assert.equal(curl("--cert", "client.pem", "--key", "client-key.pem"), "200");
});

test("seed 004: without a client certificate nginx answers 400", () => {
  assert.equal(curl(), "400");
});

test("seed 004: a client certificate from another CA is refused", async () => {
  writeFileSync(join(dir, "evil-csr.json"), JSON.stringify({ CN: "evil", key: { algo: "ecdsa", size: 256 } }));
  assert.equal((await pipeKpki(["cfssl", "gencert", "-initca", "evil-csr.json"], ["cfssljson", "-bare", "evil"], dir)).status, 0);
  assert.equal(curl("--cert", "evil.pem", "--key", "evil-key.pem"), "400");
});
