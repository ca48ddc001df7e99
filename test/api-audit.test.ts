// Audit of issue 3 items that had no end-to-end test: chunked lists, set-based label and field selectors,
// deletecollection, --dry-run=server, fieldValidation=Strict and RBAC escalation prevention, with real kubectl.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, type Kubectl } from "./helpers/kubectl.ts";

describe("api audit (kubectl)", () => {
  let srv: TestServer;
  let k: Kubectl;
  before(async () => {
    srv = await startTestServer();
    k = createKubectl(srv.adminConf);
    assert.equal((await k(["create", "namespace", "x"])).code, 0);
    for (let i = 1; i <= 5; i++) assert.equal((await k(["create", "cm", `c${i}`, "-n", "x", `--from-literal=a=${i}`])).code, 0);
  });
  after(async () => {
    k.cleanup();
    await srv.close();
  });

  it("lists in chunks of 2 and still shows every object", async () => {
    const r = await k(["get", "cm", "-n", "x", "--chunk-size=2", "-o", "name"]);
    for (let i = 1; i <= 5; i++) assert.match(r.stdout, new RegExp(`configmap/c${i}\\b`));
  });

  it("filters by set-based label selector and by field selector", async () => {
    await k(["label", "cm", "c1", "-n", "x", "env=prod"]);
    assert.equal((await k(["get", "cm", "-n", "x", "-l", "env in (prod)", "-o", "name"])).stdout.trim(), "configmap/c1");
    assert.equal((await k(["get", "cm", "-n", "x", "--field-selector", "metadata.name=c2", "-o", "name"])).stdout.trim(), "configmap/c2");
  });

  it("--dry-run=server does not persist; Strict rejects unknown fields with 400", async () => {
    const d = await k(["patch", "cm", "c2", "-n", "x", "-p", '{"data":{"z":"1"}}', "--dry-run=server", "-o", "jsonpath={.data.z}"]);
    assert.equal(d.stdout, "1");
    assert.equal((await k(["get", "cm", "c2", "-n", "x", "-o", "jsonpath={.data.z}"])).stdout, "");
    const yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s1, namespace: x}\nbogus: 1\n";
    const s = await k(["apply", "--validate=strict", "-f", "-"], { input: yaml });
    assert.match(s.stderr, /Error from server \(BadRequest\).*strict decoding error: unknown field "bogus"/);
  });

  it("prevents escalation: create roles alone cannot grant secrets", async () => {
    await k(["create", "sa", "lim", "-n", "x"]);
    await k(["create", "role", "mk", "-n", "x", "--verb=create", "--resource=roles"]);
    await k(["create", "rolebinding", "mk", "-n", "x", "--role=mk", "--serviceaccount=x:lim"]);
    const r = await k(["create", "role", "sec", "-n", "x", "--verb=get", "--resource=secrets", "--as=system:serviceaccount:x:lim"]);
    assert.match(r.stderr, /roles\.rbac\.authorization\.k8s\.io "sec" is forbidden: user "system:serviceaccount:x:lim" .* is attempting to grant RBAC permissions not currently held:/);
  });

  it("delete --all removes every configmap in the namespace (deletecollection)", async () => {
    assert.equal((await k(["delete", "cm", "--all", "-n", "x"])).code, 0);
    assert.doesNotMatch((await k(["get", "cm", "-n", "x", "-o", "name"])).stdout, /configmap\/c\d/);
  });
});
