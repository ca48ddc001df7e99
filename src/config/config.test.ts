import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCsrJson, parseClusterSpec, DEFAULT_CLUSTER, parseKubeconfig, currentIdentity, ConfigError } from "./index.ts";
import { renderKubeconfig } from "../cluster/index.ts";

test("csr.json: seed 004 rootCA request, several names entries → several O, cfssl RDN order", () => {
  const r = parseCsrJson(
    JSON.stringify({ CN: "rootCA", key: { algo: "rsa", size: 2048 }, names: [{ O: "Kubernetes", C: "KR" }, { O: "second", OU: "ops" }], hosts: ["localhost", "10.0.0.1"] }),
    "rootCA-csr.json",
  );
  assert.deepEqual(r.key, { kind: "rsa", bits: 2048 });
  assert.deepEqual(
    r.subject.attributes.map((a) => `${a.type}=${a.value}`),
    ["C=KR", "O=Kubernetes", "O=second", "OU=ops", "CN=rootCA"],
  );
  assert.deepEqual(r.hosts, ["localhost", "10.0.0.1"]);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.subject.attributes));
});

test("csr.json: key defaults to ECDSA P-256 (cfssl's default)", () => {
  assert.deepEqual(parseCsrJson('{"CN":"x"}', "x.json").key, { kind: "ecdsa", curve: "P-256" });
});

const badCsr: [string, string, RegExp][] = [
  ["not json", "{", /^bad\.json: not valid JSON/],
  ["rsa size", '{"CN":"x","key":{"algo":"rsa","size":1000}}', /^bad\.json: key\.size: 1000 is not a valid RSA size/],
  ["ecdsa size", '{"CN":"x","key":{"algo":"ecdsa","size":255}}', /^bad\.json: key\.size: 255/],
  ["algo", '{"CN":"x","key":{"algo":"dsa"}}', /^bad\.json: key\.algo: unknown algorithm "dsa"/],
  ["names not list", '{"CN":"x","names":{"O":"a"}}', /^bad\.json: names: must be a list/],
  ["hosts type", '{"CN":"x","hosts":"a"}', /^bad\.json: hosts: must be a list of strings/],
  ["CA expiry", '{"CN":"x","CA":{"expiry":"soon"}}', /^bad\.json: CA\.expiry: cannot parse "soon"/],
  ["empty", "{}", /^bad\.json: CN: missing/],
];
for (const [name, text, re] of badCsr) {
  test(`csr.json rejects ${name} with one line naming file and field`, () => {
    assert.throws(() => parseCsrJson(text, "bad.json"), (e: unknown) => e instanceof ConfigError && re.test(e.message) && !e.message.includes("\n"));
  });
}

test("cluster spec: empty file gives the Hard Way default; fields override", async () => {
  assert.deepEqual(await parseClusterSpec("", "c.yaml"), DEFAULT_CLUSTER);
  const s = await parseClusterSpec(
    "clusterName: prod\ncontrolPlane:\n- name: cp-1\n  ips: [10.0.0.10]\nworkers:\n- {name: w-1, ips: [10.0.0.11]}\nkeyAlgorithm: rsa-2048\nserviceCIDR: 10.32.0.0/24\nvalidity: {ca: 5y, leaf: 720h}\n",
    "c.yaml",
  );
  assert.equal(s.clusterName, "prod");
  assert.deepEqual(s.keyAlgorithm, { kind: "rsa", bits: 2048 });
  assert.equal(s.leafValidityMs, 720 * 3600_000);
  assert.equal(s.workers[0]?.name, "w-1");
  assert.equal(s.dnsDomain, "cluster.local");
});

const badSpec: [string, RegExp][] = [
  ["keyAlgorithm: dsa", /^c\.yaml: keyAlgorithm: unknown "dsa"/],
  ["controlPlane: [{name: Bad_Name}]", /^c\.yaml: controlPlane\[0\]\.name: "Bad_Name" is not a valid node name/],
  ["workers: [{name: a, ips: [300.1.1.1]}]", /^c\.yaml: workers\[0\]\.ips\[0\]: "300\.1\.1\.1" is not an IP address/],
  ["serviceCIDR: 10.96.0.0", /^c\.yaml: serviceCIDR: "10\.96\.0\.0" is not an IPv4 or IPv6 CIDR$/],
  // Go's net.ParseCIDR decides what a CIDR is: no leading-zero octets, no sign, the prefix within 0..32.
  ["serviceCIDR: 010.96.0.0/12", /^c\.yaml: serviceCIDR: "010\.96\.0\.0\/12" is not an IPv4 or IPv6 CIDR$/],
  ["serviceCIDR: 10.96.0.0/+12", /^c\.yaml: serviceCIDR: "10\.96\.0\.0\/\+12" is not an IPv4 or IPv6 CIDR$/],
  ["serviceCIDR: 10.96.0.0/33", /^c\.yaml: serviceCIDR: "10\.96\.0\.0\/33" is not an IPv4 or IPv6 CIDR$/],
  ["serviceCIDR: 10.96.0/12", /^c\.yaml: serviceCIDR: "10\.96\.0\/12" is not an IPv4 or IPv6 CIDR$/],
  // IPv6 and dual-stack as kubeadm's serviceSubnet: /108 at most (20 host bits), two CIDRs of different
  // families; the IPv4-mapped form (IPv6 to Go, IPv4 to Kubernetes' netutils) is refused as ambiguous.
  ["serviceCIDR: fd00:10:96::/64", /^c\.yaml: serviceCIDR: "fd00:10:96::\/64": the prefix must be \/108 to \/126/],
  ["serviceCIDR: fd00:10:96::/127", /^c\.yaml: serviceCIDR: "fd00:10:96::\/127": the prefix must be \/108 to \/126/],
  ["serviceCIDR: '::ffff:10.96.0.0/108'", /^c\.yaml: serviceCIDR: "::ffff:10\.96\.0\.0\/108": "::ffff:10\.96\.0\.0\/108" is an IPv4-mapped IPv6 range/],
  ["serviceCIDR: 10.96.0.0/12,10.32.0.0/24", /^c\.yaml: serviceCIDR: "10\.96\.0\.0\/12,10\.32\.0\.0\/24" must be two CIDRs of different families/],
  ["serviceCIDR: 10.96.0.0/12,fd00::/108,fd01::/108", /must be one \(IPv4 or IPv6\) CIDR, or two CIDRs of different families for dual-stack$/],
  ["serviceCIDR: '10.96.0.0/12, fd00::/108'", /^c\.yaml: serviceCIDR: "10\.96\.0\.0\/12, fd00::\/108": " fd00::\/108" is not an IPv4 or IPv6 CIDR$/],
  ["serviceCIDR: 10.96.0.0/12,fd00::/64", /: the prefix of "fd00::\/64" must be \/108 to \/126/],
  ["workers: [{name: a, ips: [010.0.0.5]}]", /^c\.yaml: workers\[0\]\.ips\[0\]: "010\.0\.0\.5" is not an IP address/],
  ["serviceCIDR: 10.0.0.0/8", /^c\.yaml: serviceCIDR: "10\.0\.0\.0\/8": the prefix must be \/12 to \/30/],
  ["serviceCIDR: 10.0.0.0/31", /^c\.yaml: serviceCIDR: "10\.0\.0\.0\/31": the prefix must be \/12 to \/30/],
  ["validity: {leaf: forever}", /^c\.yaml: validity\.leaf: cannot parse "forever"/],
  ["colour: blue", /^c\.yaml: colour: unknown field/],
  ["a: [", /^c\.yaml: not valid YAML/],
  ["workers: [{name: server}]", /appears twice/],
];
test("cluster spec: serviceCIDR as Go's net.ParseCIDR takes it (host bits, leading-zero prefix), kept as written", async () => {
  for (const cidr of ["10.32.0.5/24", "10.96.0.0/012", "10.96.0.0/30", "fd00:10:96::/112", "10.96.0.0/12,fd00:10:96::/112", "fd00:10:96::/108,10.96.0.0/12"]) {
    assert.equal((await parseClusterSpec(`serviceCIDR: ${cidr}\n`, "c.yaml")).serviceCIDR, cidr);
  }
});

for (const [text, re] of badSpec) {
  test(`cluster spec rejects ${JSON.stringify(text)}`, async () => {
    await assert.rejects(parseClusterSpec(text, "c.yaml"), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  });
}

test("kubeconfig: render → parse round trip with a colon-bearing user name", async () => {
  const text = renderKubeconfig({ clusterName: "kubernetes", server: "https://10.0.0.1:6443", caPem: "CA\n", userName: "system:node:node-0", certPem: "CERT\n", keyPem: "KEY\n" });
  const kc = await parseKubeconfig(text, "kubelet.conf");
  const id = currentIdentity(kc, "kubelet.conf");
  assert.equal(id.context.name, "system:node:node-0@kubernetes");
  assert.equal(id.cluster.server, "https://10.0.0.1:6443");
  assert.equal(id.cluster.caPem, "CA\n");
  assert.equal(id.user.certPem, "CERT\n");
  assert.equal(id.user.keyPem, "KEY\n");
});

test("kubeconfig: bad base64 and dangling context name the file and field", async () => {
  await assert.rejects(parseKubeconfig("users: [{name: u, user: {client-key-data: '!!'}}]", "k.conf"), /^ConfigError: k\.conf: users\[0\]\.user\.client-key-data: is not valid base64/);
  const kc = await parseKubeconfig("contexts: [{name: c, context: {cluster: nope, user: u}}]\ncurrent-context: c", "k.conf");
  assert.throws(() => currentIdentity(kc, "k.conf"), /k\.conf: clusters: cluster "nope" of context "c" not found/);
});

test("csr.json and ca-config.json keys match case-insensitively, as Go's encoding/json does for cfssl", async () => {
  const r = parseCsrJson('{"cn":"root","Key":{"ALGO":"rsa","Size":3072},"Names":[{"o":"a"}],"ca":{"Expiry":"87600h","pathlen":1}}', "r.json");
  assert.deepEqual(r.subject.attributes, [{ type: "O", value: "a" }, { type: "CN", value: "root" }]);
  assert.deepEqual(r.key, { kind: "rsa", bits: 3072 });
  assert.deepEqual(r.ca, { expiryMs: 87600 * 3600_000, pathLen: 1 });
  assert.deepEqual(parseCsrJson('{"CN":"r","CA":{"pathlenzero":true}}', "r.json").ca, { pathLen: 0 });
  assert.deepEqual(parseCsrJson('{"CN":"r","CA":{"pathlen":0}}', "r.json").ca, {});
  const { parseCaConfig } = await import("./index.ts");
  const cfg = parseCaConfig('{"Signing":{"Profiles":{"www":{"Usages":["server auth"],"EXPIRY":"1h","CA_Constraint":{"IS_CA":true}}}}}', "c.json");
  assert.deepEqual(cfg.profiles["www"]?.usages, ["server auth"]);
  assert.equal(cfg.profiles["www"]?.expiryMs, 3600_000);
  assert.equal(cfg.profiles["www"]?.isCa, true);
});
