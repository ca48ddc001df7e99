// Authentication options of kpki serve: static bearer tokens (--token-auth-file, Kubernetes' CSV) and
// --anonymous-auth=false (no credentials → 401 instead of system:anonymous).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";

describe("token auth and --anonymous-auth=false", () => {
  let server: TestServer;
  let work: string;
  const call = (method: string, path: string, token?: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      if (token) headers["Authorization"] = `Bearer ${token}`;
      const req = request(`${server.url}${path}`, { method, headers, ca: server.ca.certPem }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on("error", reject);
      req.end(body);
    });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "kpki-auth-test-"));
    const tokens = join(work, "tokens.csv");
    await writeFile(tokens, 'tok-robot,robot,uid-1,"ci,bots"\n');
    server = await startTestServer({ tokenAuthFile: tokens, anonymousAuth: false });
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it("a known bearer token authenticates as its user and groups", async () => {
    const r = await call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", "tok-robot", '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}');
    assert.equal(r.status, 201);
    const info = (r.json["status"] as { userInfo: { username: string; uid: string; groups: string[] } }).userInfo;
    assert.deepEqual([info.username, info.uid, info.groups], ["robot", "uid-1", ["ci", "bots", "system:authenticated"]]);
  });

  it("an unknown token and no credentials at all are both 401", async () => {
    for (const token of ["nope", undefined]) {
      const r = await call("GET", "/api", token);
      assert.deepEqual([r.status, r.json["reason"], r.json["message"]], [401, "Unauthorized", "Unauthorized"], String(token));
    }
  });
});

describe("a bearer token with no --token-auth-file", () => {
  it("is 401, not system:anonymous (anonymous auth stays on for requests with no credentials)", async () => {
    const server = await startTestServer();
    try {
      const get = (headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> =>
        new Promise((resolve, reject) => {
          const req = request(`${server.url}/version`, { headers, ca: server.ca.certPem }, (res) => {
            let text = "";
            res.on("data", (d: Buffer) => (text += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
          });
          req.on("error", reject);
          req.end();
        });
      assert.equal((await get({})).status, 200, "/version is open to system:anonymous (system:public-info-viewer)");
      const r = await get({ Authorization: "Bearer not-a-token" });
      assert.deepEqual([r.status, r.json["reason"]], [401, "Unauthorized"]);
    } finally {
      await server.close();
    }
  });
});

describe("serving an existing PKI (--client-ca-file, --tls-cert-file, --tls-private-key-file)", () => {
  it("authenticates clients of that CA and provisions nothing", async () => {
    const first = await startTestServer(); // a kubeadm-layout PKI to borrow
    const dir = await mkdtemp(join(tmpdir(), "kpki-external-pki-"));
    try {
      const pki = join(first.dir, "pki");
      const external = await startTestServer({ dataDir: dir, clientCaFile: join(pki, "ca.crt"), tlsCertFile: join(pki, "apiserver.crt"), tlsKeyFile: join(pki, "apiserver.key") });
      try {
        const kc = await readFile(first.adminConf, "utf8");
        const b64 = (k: string): string => Buffer.from(new RegExp(`${k}: (\\S+)`).exec(kc)?.[1] ?? "", "base64").toString("utf8");
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(`${external.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
            method: "POST", ca: first.ca.certPem, cert: b64("client-certificate-data"), key: b64("client-key-data"), headers: { "Content-Type": "application/json" },
          }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          });
          req.on("error", reject);
          req.end('{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}');
        });
        assert.equal(status, 201);
        assert.deepEqual((await readdir(dir)).filter((f) => !f.startsWith("kpki.db")), [], "nothing but state in the data dir");
      } finally {
        await external.close();
      }
    } finally {
      await first.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
