// ServiceAccount tokens end to end with the real kubectl (1.27 sends JSON, 1.33 protobuf TokenRequest
// bodies): `kubectl create token`, the JWT as a bearer token (whoami, RBAC Forbidden then allowed by a
// RoleBinding), kube's 10-minute message, Unauthorized once the SA or the bound Secret is gone; and an
// RSA signing key given by flag, whose RS256 signature openssl verifies against the public key.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey, verify as cryptoVerify, type JsonWebKey } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt, spawnKpki, startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const FORBIDDEN_CM = 'Error from server (Forbidden): configmaps is forbidden: User "system:serviceaccount:default:ci" cannot list resource "configmaps" in API group "" in the namespace "default"';
const TOO_SHORT = 'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes';
const UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)";

const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;

for (const version of ["1.27", "1.33"] as const) {
  const binary = kubectlBinary(version);
  describe(`service-account tokens with kubectl ${version}`, { skip: binary === undefined && `kubectl.${version} not installed` }, () => {
    let server: TestServer;
    let k: Kubectl;
    /** kubectl with only the bearer token (no client certificate: x509 would win, as in kube). */
    const asToken = (token: string, args: string[]) =>
      k(["--kubeconfig=/dev/null", `--server=${server.url}`, `--certificate-authority=${join(server.dir, "pki", "ca.crt")}`, `--token=${token}`, ...args]);
    const ok = async (args: string[]): Promise<string> => {
      const r = await k(args);
      assert.equal(r.code, 0, `kubectl ${args.join(" ")}\n${r.stderr}`);
      return r.stdout;
    };
    before(async () => {
      server = await startTestServer();
      k = createKubectl(server.adminConf, binary);
    });
    after(async () => {
      k?.cleanup();
      await server?.close();
    });

    it("issues a token that authenticates as the ServiceAccount until it is deleted", async () => {
      await ok(["create", "serviceaccount", "ci"]);
      const token = (await ok(["create", "token", "ci"])).trim();
      const parts = token.split(".");
      assert.equal(parts.length, 3, token);
      assert.deepEqual(Object.keys(decode(parts[0]!)), ["alg", "kid"]);
      assert.equal(decode(parts[1]!)["sub"], "system:serviceaccount:default:ci");

      const who = await asToken(token, ["auth", "whoami"]);
      assert.equal(who.code, 0, who.stderr);
      assert.match(who.stdout, /^Username\s+system:serviceaccount:default:ci$/m);
      assert.match(who.stdout, /^Groups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]$/m);
      assert.match(who.stdout, /authentication\.kubernetes\.io\/credential-id\s+\[JTI=[0-9a-f-]{36}\]/);

      const denied = await asToken(token, ["get", "configmaps"]);
      assert.equal(denied.code, 1);
      assert.equal(denied.stderr.trim(), FORBIDDEN_CM);
      await ok(["create", "rolebinding", "ci-view", "--clusterrole=view", "--serviceaccount=default:ci"]);
      const allowed = await asToken(token, ["get", "configmaps"]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stdout, /kube-root-ca\.crt/);

      const short = await k(["create", "token", "ci", "--duration", "5m"]);
      assert.equal(short.code, 1);
      assert.equal(short.stderr.trim(), TOO_SHORT);
      const missing = await k(["create", "token", "nope"]);
      assert.equal(missing.stderr.trim(), 'error: failed to create token: serviceaccounts "nope" not found');

      await ok(["delete", "serviceaccount", "ci"]);
      const gone = await asToken(token, ["get", "configmaps"]);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr.trim(), UNAUTHORIZED);
      const tampered = await asToken(`${token.slice(0, -4)}AAAA`, ["get", "configmaps"]);
      assert.equal(tampered.stderr.trim(), UNAUTHORIZED);
    });

    it("a token bound to a Secret stops working when the Secret is deleted", async () => {
      await ok(["create", "serviceaccount", "bound"]);
      await ok(["create", "secret", "generic", "s"]);
      const token = (await ok(["create", "token", "bound", "--bound-object-kind", "Secret", "--bound-object-name", "s"])).trim();
      const claim = decode(token.split(".")[1]!)["kubernetes.io"] as Record<string, Record<string, string>>;
      assert.equal(claim["secret"]?.["name"], "s");
      const who = await asToken(token, ["auth", "whoami"]);
      assert.match(who.stdout, /^Username\s+system:serviceaccount:default:bound$/m, who.stderr);
      await ok(["delete", "secret", "s"]);
      const gone = await asToken(token, ["auth", "whoami"]);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr.trim(), UNAUTHORIZED);
    });
  });
}

describe("an RSA signing key by flag (RS256)", () => {
  let server: TestServer;
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "kpki-sa-rsa-"));
    execFileSync("openssl", ["genrsa", "-out", join(work, "sa.key"), "2048"], { stdio: "ignore" });
    execFileSync("openssl", ["rsa", "-in", join(work, "sa.key"), "-pubout", "-out", join(work, "sa.pub")], { stdio: "ignore" });
    server = await startTestServer({
      serviceAccounts: { signingKeyFile: join(work, "sa.key"), keyFile: join(work, "sa.pub"), issuer: "https://issuer.example", apiAudiences: ["https://issuer.example", "api"] },
    });
  });
  after(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("openssl verifies the JWT's signature with the public key", { skip: kubectlBinary("1.33") === undefined && "kubectl.1.33 not installed" }, async () => {
    const k = createKubectl(server.adminConf, kubectlBinary("1.33"));
    try {
      assert.equal((await k(["create", "serviceaccount", "ci"])).code, 0);
      const r = await k(["create", "token", "ci", "--audience", "api", "--duration", "2h"]);
      assert.equal(r.code, 0, r.stderr);
      const [h = "", p = "", s = ""] = r.stdout.trim().split(".");
      assert.equal(decode(h)["alg"], "RS256");
      const payload = decode(p);
      assert.equal(payload["iss"], "https://issuer.example");
      assert.deepEqual(payload["aud"], ["api"]);
      assert.equal(Number(payload["exp"]) - Number(payload["iat"]), 7200);
      await writeFile(join(work, "data"), `${h}.${p}`);
      await writeFile(join(work, "sig"), Buffer.from(s, "base64url"));
      const verify = (data: string): string =>
        execFileSync("openssl", ["dgst", "-sha256", "-verify", join(work, "sa.pub"), "-signature", join(work, "sig"), data], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      assert.equal(verify(join(work, "data")).trim(), "Verified OK");
      // Issuer discovery: the JWKS key verifies the token too; jwks_uri is on this server.
      const meta = JSON.parse((await k(["get", "--raw", "/.well-known/openid-configuration"])).stdout) as Record<string, unknown>;
      assert.equal(meta["issuer"], "https://issuer.example");
      assert.equal(meta["jwks_uri"], `${server.url}/openid/v1/jwks`);
      const jwks = JSON.parse((await k(["get", "--raw", "/openid/v1/jwks"])).stdout) as { keys: JsonWebKey[] };
      assert.equal(jwks.keys.length, 1);
      const jwkPub = createPublicKey({ key: jwks.keys[0]!, format: "jwk" });
      assert.ok(cryptoVerify("sha256", Buffer.from(`${h}.${p}`), jwkPub, Buffer.from(s, "base64url")));
      await writeFile(join(work, "other"), `${h}.${p}x`);
      assert.throws(() => verify(join(work, "other")), (e: { status?: number; stdout?: string }) => e.status === 1 && /Verification failure/.test(String(e.stdout)));
    } finally {
      k.cleanup();
    }
  });

  it("an external PKI (no DIR/pki/sa.key): TokenRequest says why, other bearer tokens still work", async () => {
    const pki = (f: string): string => join(server.dir, "pki", f);
    const ext = await startTestServer({ dataDir: join(work, "ext"), clientCaFile: pki("ca.crt"), tlsCertFile: pki("apiserver.crt"), tlsKeyFile: pki("apiserver.key") });
    const k = createKubectl(server.adminConf, kubectlBinary("1.33") ?? kubectlBinary());
    try {
      assert.equal((await k([`--server=${ext.url}`, "create", "serviceaccount", "ci"])).code, 0);
      const r = await k([`--server=${ext.url}`, "create", "token", "ci"]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), `error: failed to create token: the server could not find the requested resource (service-account tokens are off: no service-account signing key (--service-account-signing-key-file; default ${join(work, "ext", "pki", "sa.key")} does not exist))`);
    } finally {
      k.cleanup();
      await ext.close();
    }
  });

  it("kpki serve: a bad key file or max expiration is one line and a non-zero exit", async () => {
    assertBuilt();
    await writeFile(join(work, "junk.key"), "not a key\n");
    const cases: [string[], number, string][] = [
      [["--service-account-key-file", join(work, "nope.pub")], 1, `kpki: cannot read --service-account-key-file ${join(work, "nope.pub")}: no such file\n`],
      [["--service-account-signing-key-file", join(work, "junk.key")], 1, `kpki: cannot use --service-account-signing-key-file ${join(work, "junk.key")}: no PEM block found\n`],
      [["--service-account-max-token-expiration", "30m"], 2, "kpki: serve: --service-account-max-token-expiration cannot be less than 1 hour\n"],
    ];
    for (const [args, code, stderr] of cases) {
      const p = spawnKpki(["serve", "--data-dir", server.dir, "--storage", "memory", "--listen", "127.0.0.1:0", ...args]);
      assert.equal(await p.exited, code, p.stderr());
      assert.equal(p.stderr(), stderr);
    }
  });

  it("a missing --service-account-signing-key-file stops the start with one line naming it", async () => {
    const missing = join(work, "nope.key");
    await assert.rejects(
      startTestServer({ dataDir: join(work, "d2"), serviceAccounts: { signingKeyFile: missing } }),
      (e: Error) => e.message === `cannot read --service-account-signing-key-file ${missing}: no such file`,
    );
  });
});
