// authentication.k8s.io/v1 TokenReview end to end (kube 1.32 tokenreview/storage.go): tokens from the real
// `kubectl create token` and from --token-auth-file reviewed over HTTPS with the admin client certificate,
// audiences honoured, garbage and empty tokens, and RBAC `create tokenreviews` (system:auth-delegator).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentIdentity, parseKubeconfig } from "../src/config/index.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

type Json = Record<string, unknown>;
const PATH = "/apis/authentication.k8s.io/v1/tokenreviews";
const ISSUER = "https://kubernetes.default.svc.cluster.local";
const review = (token: string, audiences?: string[]): string =>
  JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, ...(audiences ? { audiences } : {}) } });

describe("TokenReview", { skip: kubectlBinary() === undefined && "kubectl not installed" }, () => {
  let server: TestServer;
  let work: string;
  let k: Kubectl;
  let admin: { cert: string; key: string };
  /** POST a TokenReview as the admin client certificate, or as a bearer token when given. */
  const post = (body: string, bearer?: string): Promise<{ status: number; json: Json }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { "Content-Type": "application/json", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) };
      const auth = bearer ? {} : admin;
      const req = request(`${server.url}${PATH}`, { method: "POST", headers, ca: server.ca.certPem, ...auth }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Json }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const ok = async (args: string[]): Promise<string> => {
    const r = await k(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "kpki-tokenreview-"));
    const tokens = join(work, "tokens.csv");
    await writeFile(tokens, 'tok-robot,robot,uid-r,"ci,bots"\ntok-nobody,nobody,uid-n\n');
    server = await startTestServer({ tokenAuthFile: tokens });
    k = createKubectl(server.adminConf);
    const { user } = currentIdentity(await parseKubeconfig(await readFile(server.adminConf, "utf8"), server.adminConf), server.adminConf);
    admin = { cert: user.certPem ?? "", key: user.keyPem ?? "" };
    await ok(["create", "serviceaccount", "ci"]);
  });
  after(async () => {
    k?.cleanup();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("a `kubectl create token` JWT authenticates as the ServiceAccount for the API audiences", async () => {
    const token = (await ok(["create", "token", "ci"])).trim();
    const r = await post(review(token));
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.kind, "TokenReview");
    assert.equal(r.json.apiVersion, "authentication.k8s.io/v1");
    assert.deepEqual(r.json.spec, { token });
    const status = r.json.status as Json;
    const user = status.user as Json;
    assert.equal(status.authenticated, true);
    assert.equal(user.username, "system:serviceaccount:default:ci");
    const uid = (await ok(["get", "serviceaccount", "ci", "-o", "jsonpath={.metadata.uid}"])).trim();
    assert.equal(user.uid, uid);
    assert.deepEqual(user.groups, ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]);
    assert.match(String((user.extra as Json)["authentication.kubernetes.io/credential-id"]), /^JTI=[0-9a-f-]{36}$/);
    assert.deepEqual(status.audiences, [ISSUER]);

    // Asked for another audience, the same token (aud = the issuer) does not authenticate: kube's jwt.go text.
    const other = await post(review(token, ["other"]));
    assert.equal(other.status, 201);
    assert.deepEqual(other.json.status, { user: {}, error: `token audiences ["${ISSUER}"] is invalid for the target audiences ["other"]` });
  });

  it("a token made for --audience other is valid for spec.audiences [other] only", async () => {
    const token = (await ok(["create", "token", "ci", "--audience", "other"])).trim();
    const r = await post(review(token, ["x", "other"]));
    const status = r.json.status as Json;
    assert.equal(status.authenticated, true, JSON.stringify(r.json));
    assert.deepEqual(status.audiences, ["other"]);
    const api = await post(review(token));
    assert.notEqual((api.json.status as Json).authenticated, true);
  });

  it("static tokens are audience-agnostic over the API audiences; garbage is not authenticated", async () => {
    const r = await post(review("tok-robot"));
    assert.equal(r.status, 201);
    assert.deepEqual(r.json.status, { authenticated: true, user: { username: "robot", uid: "uid-r", groups: ["ci", "bots", "system:authenticated"] }, audiences: [ISSUER] });
    // kube's WrapAudienceAgnosticToken: requested audiences that miss the API audiences → no opinion.
    const elsewhere = await post(review("tok-robot", ["other"]));
    assert.deepEqual(elsewhere.json.status, { user: {}, error: "invalid bearer token" });
    const garbage = await post(review("not-a-token"));
    assert.equal(garbage.status, 201);
    assert.deepEqual(garbage.json.status, { user: {}, error: "invalid bearer token" });
  });

  it("an empty spec.token is 400 with kube's message", async () => {
    const r = await post(review(""));
    assert.equal(r.status, 400);
    assert.equal(r.json.reason, "BadRequest");
    assert.equal(r.json.message, "token is required for TokenReview in authentication");
  });

  it("needs RBAC create tokenreviews: 403 until system:auth-delegator is bound", async () => {
    const denied = await post(review("tok-robot"), "tok-nobody");
    assert.equal(denied.status, 403);
    assert.equal(denied.json.message, 'tokenreviews.authentication.k8s.io is forbidden: User "nobody" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope');
    await ok(["create", "clusterrolebinding", "nobody-delegator", "--clusterrole=system:auth-delegator", "--user=nobody"]);
    const allowed = await post(review("tok-robot"), "tok-nobody");
    assert.equal(allowed.status, 201, JSON.stringify(allowed.json));
    assert.equal((allowed.json.status as Json).authenticated, true);
  });
});
