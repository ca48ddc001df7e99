// The oldest and newest kubectl the issue names (kubectl.1.27, kubectl.1.33, called directly, not
// through the dispatcher) against one kpki server: discovery, apply of seed 001, the auth commands
// (1.33 sends protobuf bodies, 1.27 JSON) and minjun's exact Forbidden line.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { issueClientCert, userKubeconfig } from "./helpers/certs.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary } from "./helpers/kubectl.ts";
import { POD_READER_YAML } from "./helpers/seeds.ts";

const FORBIDDEN = 'Error from server (Forbidden): deployments.apps is forbidden: User "minjun" cannot list resource "deployments" in API group "apps" in the namespace "default"';

describe("kubectl 1.27 and 1.33", () => {
  let server: TestServer;
  let work: string;
  let minjunConf: string;
  before(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), "kpki-kubectl-versions-"));
    const pair = await issueClientCert(server.ca, { cn: "minjun", groups: ["dev-team"] });
    minjunConf = join(work, "minjun.conf");
    await writeFile(minjunConf, userKubeconfig({ server: server.url, caPem: server.ca.certPem, user: "minjun", pair }), { mode: 0o600 });
    await writeFile(join(work, "role.yaml"), POD_READER_YAML);
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  for (const version of ["1.27", "1.33"] as const) {
    const binary = kubectlBinary(version);
    it(`kubectl.${version}`, { skip: binary === undefined && `kubectl.${version} is not installed` }, async () => {
      const admin = createKubectl(server.adminConf, binary);
      const minjun = createKubectl(minjunConf, binary);
      try {
        const v = await admin(["version"]);
        assert.equal(v.code, 0, v.stderr);
        assert.match(v.stdout, /^Server Version: (v1\.32\.4$|version\.Info\{.*GitVersion:"v1\.32\.4")/m);
        const res = await admin(["api-resources"]);
        assert.match(res.stdout, /^certificatesigningrequests\s+csr\s/m);
        const ns = await admin(["get", "ns", "default"]);
        assert.match(ns.stdout, /^default\s+Active\s/m);
        const apply = await admin(["apply", "-f", join(work, "role.yaml")]);
        assert.equal(apply.code, 0, apply.stderr);
        assert.match(apply.stdout, /^role\.rbac\.authorization\.k8s\.io\/pod-reader (created|unchanged)$/m);
        const again = await admin(["apply", "-f", join(work, "role.yaml")]);
        assert.equal(again.stdout, "role.rbac.authorization.k8s.io/pod-reader unchanged\nrolebinding.rbac.authorization.k8s.io/read-pods-minjun unchanged\n", again.stderr);
        const changed = join(work, `role-${version}.yaml`);
        await writeFile(changed, POD_READER_YAML.replace('verbs: ["get", "list", "watch"]', 'verbs: ["get", "list", "watch", "delete"]'));
        const configured = await admin(["apply", "-f", changed]);
        assert.match(configured.stdout, /^role\.rbac\.authorization\.k8s\.io\/pod-reader configured$/m, configured.stderr);
        assert.equal((await admin(["apply", "-f", join(work, "role.yaml")])).code, 0); // back to the seed's verbs
        const yes = await admin(["auth", "can-i", "delete", "roles", "-n", "default"]);
        assert.deepEqual([yes.code, yes.stdout], [0, "yes\n"]);
        const list = await minjun(["auth", "can-i", "--list", "-n", "default"]);
        assert.match(list.stdout, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m, list.stderr);
        const role = await admin(["create", "role", `r-${version.replace(".", "-")}`, "--verb=get", "--resource=secrets", "-n", "default"]);
        assert.equal(role.code, 0, role.stderr);
        if (version !== "1.27") {
          // 1.27's whoami asks authentication.k8s.io/v1beta1, which kpki (like kube 1.32 by default) does not serve.
          const who = await minjun(["auth", "whoami"]);
          assert.match(who.stdout, /^Username\s+minjun$/m, who.stderr);
        }
        const pods = await minjun(["get", "pods", "-n", "default"]);
        assert.deepEqual([pods.code, pods.stderr], [0, "No resources found in default namespace.\n"]);
        const deploy = await minjun(["get", "deployments", "-n", "default"]);
        assert.deepEqual([deploy.code, deploy.stdout, deploy.stderr], [1, "", `${FORBIDDEN}\n`]);
      } finally {
        admin.cleanup();
        minjun.cleanup();
      }
    });
  }
});
