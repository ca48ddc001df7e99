// Server-side apply field ownership with the real kubectl: conflicts with the exact message kubectl
// prints, --force-conflicts moving ownership, Update managers owning only what they changed, and the
// client-side → server-side apply migration (kubectl rewrites managedFields itself) without conflicts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const HAVE_KUBECTL = kubectlBinary() !== undefined;

interface Entry {
  manager: string;
  operation: string;
  apiVersion?: string;
  fieldsV1?: Record<string, unknown>;
}

describe("server-side apply conflicts with kubectl", { skip: !HAVE_KUBECTL && "kubectl is not installed" }, () => {
  let server: TestServer;
  let k: Kubectl;
  let dir: string;
  const ok = async (args: readonly string[]): Promise<string> => {
    const r = await k(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const managed = async (name: string): Promise<Entry[]> => {
    const o = JSON.parse(await ok(["get", "cm", name, "-o", "json", "--show-managed-fields"])) as { metadata: { managedFields?: Entry[] } };
    return o.metadata.managedFields ?? [];
  };
  const file = async (name: string, data: Record<string, string>): Promise<string> => {
    const path = join(dir, `${name}-${Object.values(data).join("-")}.yaml`);
    const lines = Object.entries(data).map(([key, v]) => `  ${key}: "${v}"`);
    await writeFile(path, ["apiVersion: v1", "kind: ConfigMap", "metadata:", `  name: ${name}`, "data:", ...lines, ""].join("\n"));
    return path;
  };

  before(async () => {
    server = await startTestServer();
    k = createKubectl(server.adminConf);
    dir = await mkdtemp(join(tmpdir(), "kpki-ssa-"));
  });
  after(async () => {
    k.cleanup();
    await rm(dir, { recursive: true, force: true });
    await server.close();
  });

  it("a patched field conflicts; --force-conflicts takes it over", async () => {
    const cm = await file("ssa", { a: "1", b: "2" });
    await ok(["apply", "--server-side", "-f", cm]);
    await ok(["patch", "cm", "ssa", "-p", '{"data":{"a":"changed"}}']);
    const patchEntry = (await managed("ssa")).find((e) => e.manager === "kubectl-patch");
    assert.deepEqual(patchEntry?.fieldsV1, { "f:data": { "f:a": {} } }, "the patch owns only .data.a");

    const failed = await k(["apply", "--server-side", "-f", cm]);
    assert.notEqual(failed.code, 0);
    assert.equal(failed.stderr.split("\n")[0], 'error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.a');

    await ok(["apply", "--server-side", "--force-conflicts", "-f", cm]);
    const after = await managed("ssa");
    const apply = after.find((e) => e.manager === "kubectl" && e.operation === "Apply");
    assert.deepEqual(apply?.fieldsV1, { "f:data": { "f:a": {}, "f:b": {} } });
    const lost = after.find((e) => e.manager === "kubectl-patch");
    assert.ok(lost === undefined || !JSON.stringify(lost.fieldsV1).includes('"f:a"'), JSON.stringify(after));
    assert.equal(JSON.parse(await ok(["get", "cm", "ssa", "-o", "jsonpath={.data}"]))?.a, "1");
  });

  it("kubectl label owns only its label; kubectl-create's value conflicts with a different applied value", async () => {
    await ok(["create", "configmap", "made", "--from-literal=key=one"]);
    await ok(["label", "cm", "made", "team=a"]);
    const entries = await managed("made");
    assert.deepEqual(entries.find((e) => e.manager === "kubectl-create")?.fieldsV1, { "f:data": { ".": {}, "f:key": {} } });
    assert.deepEqual(entries.find((e) => e.manager === "kubectl-label")?.fieldsV1, { "f:metadata": { "f:labels": { ".": {}, "f:team": {} } } });

    const failed = await k(["apply", "--server-side", "-f", await file("made", { key: "two" })]);
    assert.notEqual(failed.code, 0);
    assert.equal(failed.stderr.split("\n")[0], 'error: Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.key');
    // The same value is shared ownership, not a conflict.
    await ok(["apply", "--server-side", "-f", await file("made", { key: "one" })]);
  });

  it("kubectl scale owns .spec.replicas through the scale subresource; an apply of another count conflicts", async () => {
    const deploy = join(dir, "web.yaml");
    await writeFile(deploy, [
      "apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: web", "spec:", "  replicas: 1",
      "  selector: {matchLabels: {app: web}}", "  template:", "    metadata: {labels: {app: web}}",
      "    spec: {containers: [{name: nginx, image: nginx}]}", "",
    ].join("\n"));
    await ok(["apply", "--server-side", "-f", deploy]);
    await ok(["scale", "deployment", "web", "--replicas=3"]);
    // kubectl scale sends no fieldManager: the manager is the User-Agent's "kubectl" (kube's prefixFromUserAgent).
    const failed = await k(["apply", "--server-side", "-f", deploy]);
    assert.notEqual(failed.code, 0);
    assert.equal(failed.stderr.split("\n")[0], 'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
  });

  it("client-side apply twice, then server-side apply of the same file: no conflict", async () => {
    const cm = await file("csa", { x: "1" });
    await ok(["apply", "-f", cm]);
    await ok(["apply", "-f", cm]);
    assert.ok((await managed("csa")).some((e) => e.manager === "kubectl-client-side-apply"));
    await ok(["apply", "--server-side", "-f", cm]);
    const entries = await managed("csa");
    assert.ok(
      entries.some((e) => e.manager === "kubectl" && e.operation === "Apply" && JSON.stringify(e.fieldsV1).includes('"f:x"')),
      JSON.stringify(entries),
    );
    assert.ok(!entries.some((e) => e.manager === "kubectl-client-side-apply"), JSON.stringify(entries));
  });
});
