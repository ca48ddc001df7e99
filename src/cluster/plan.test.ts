import { test } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom, DAY } from "../base/index.ts";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { DEFAULT_CLUSTER, currentIdentity, parseKubeconfig } from "../config/index.ts";
import { CaError, issueFromTemplate, localKeySigner } from "../ca/index.ts";
import { encodeCertificatePem, encodeDn, keyIdentifier, keyPairSpki, parseCertificatePem, parseDn, parsePrivateKeyPem } from "../pki/index.ts";
import { applyPlan, clusterCertSpecs, loadExisting, localCa, planClusterPki, type ClusterSpec, type PkiSink, type PkiSource } from "./index.ts";

/** An in-memory DIR: the sink writes into it, the source reads from it. */
function memoryDir() {
  const files = new Map<string, { data: string; mode: number }>();
  const sink: PkiSink = {
    mkdirp: async () => undefined,
    writeFileAtomic: async (p, d, o) => void files.set(p, { data: typeof d === "string" ? d : Buffer.from(d).toString(), mode: o?.mode ?? 0o644 }),
  };
  const readText = async (p: string): Promise<string | undefined> => files.get(`d/${p}`)?.data;
  const source: PkiSource = {
    readText,
    async readKubeconfigCredentials(p) {
      const text = await readText(p);
      if (text === undefined) return undefined;
      const { user } = currentIdentity(await parseKubeconfig(text, p), p);
      return { certPem: user.certPem, keyPem: user.keyPem };
    },
  };
  return { files, sink, source };
}

const SERVER = "https://192.168.10.100:6443";

async function initOnce(at: string) {
  const m = memoryDir();
  const clock = fixedClock(at);
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), m.source);
  const plan = planClusterPki(DEFAULT_CLUSTER, existing, { now: clock.now(), server: SERVER });
  await applyPlan(plan, { dir: "d", sink: m.sink, existing, clock, random: seededRandom(7) });
  return m;
}

test("empty dir: every step is create; keys and kubeconfigs are 0600", async () => {
  const plan = planClusterPki(DEFAULT_CLUSTER, new Map(), { now: new Date("2026-01-01T00:00:00Z"), server: SERVER });
  assert.ok(plan.steps.every((s) => s.action === "create"));
  assert.equal(plan.steps.length, 22);
  const m = await initOnce("2026-01-01T00:00:00Z");
  assert.equal(m.files.get("d/pki/ca.key")?.mode, 0o600);
  assert.equal(m.files.get("d/admin.conf")?.mode, 0o600);
  assert.equal(m.files.get("d/pki/ca.crt")?.mode, 0o644);
  assert.equal(m.files.size, 42);
});

test("re-plan over its own output keeps everything; later than a leaf's expiry re-issues leaves only", async () => {
  const m = await initOnce("2026-01-01T00:00:00Z");
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), m.source);
  const same = planClusterPki(DEFAULT_CLUSTER, existing, { now: new Date("2026-06-01T00:00:00Z"), server: SERVER });
  assert.ok(same.steps.every((s) => s.action === "keep"), JSON.stringify(same.steps.filter((s) => s.action !== "keep").map((s) => s.reason)));
  const later = planClusterPki(DEFAULT_CLUSTER, existing, { now: new Date(Date.parse("2026-01-01T00:00:00Z") + 400 * DAY), server: SERVER });
  for (const s of later.steps) {
    if (s.kind === "cert" && s.spec.isCa) assert.equal(s.action, "keep", s.spec.name);
    else if (s.kind === "cert") assert.match(`${s.action} ${s.reason}`, /^reissue expired/, s.spec.name);
  }
});

test("a changed node IP re-issues that node's serving certificate; a new CA re-issues its leaves", async () => {
  const m = await initOnce("2026-01-01T00:00:00Z");
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), m.source);
  const spec = { ...DEFAULT_CLUSTER, workers: [{ name: "node-0", ips: ["10.9.9.9"] }, DEFAULT_CLUSTER.workers[1]!] };
  const plan = planClusterPki(spec, existing, { now: new Date("2026-02-01T00:00:00Z"), server: SERVER });
  assert.deepEqual(plan.steps.filter((s) => s.action !== "keep").map((s) => (s.kind === "cert" ? s.spec.name : s.kind)), ["kubelet-serving-node-0"]);
  const withoutEtcdCa = new Map(existing);
  withoutEtcdCa.delete("etcd-ca");
  const p2 = planClusterPki(DEFAULT_CLUSTER, withoutEtcdCa, { now: new Date("2026-02-01T00:00:00Z"), server: SERVER });
  assert.deepEqual(
    p2.steps.filter((s) => s.action !== "keep").map((s) => (s.kind === "cert" ? s.spec.name : s.kind)),
    ["etcd-ca", "etcd-server", "etcd-peer", "etcd-healthcheck-client", "apiserver-etcd-client"],
  );
});

test("a CA whose key does not match refuses to plan (never silently replaced)", async () => {
  const a = await initOnce("2026-01-01T00:00:00Z");
  const b = await initOnce("2026-01-01T00:00:00Z");
  a.files.set("d/pki/ca.key", b.files.get("d/pki/etcd/ca.key")!);
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), a.source);
  assert.throws(() => planClusterPki(DEFAULT_CLUSTER, existing, { now: new Date("2026-02-01T00:00:00Z"), server: SERVER }), /CA "ca": pki\/ca\.key does not match pki\/ca\.crt/);
});

test("keyAlgorithm decides the sa key: kube-apiserver takes RSA or ECDSA for service-account tokens, so ed25519 gives ECDSA P-256", async () => {
  const cases: [string, ClusterSpec["keyAlgorithm"], string][] = [
    ["ed25519", { kind: "ed25519" }, "ec P-256"],
    ["ecdsa-p384", { kind: "ecdsa", curve: "P-384" }, "ec P-384"],
    ["rsa-2048", { kind: "rsa", bits: 2048 }, "rsa 2048"],
  ];
  for (const [name, keyAlgorithm, want] of cases) {
    const spec = { ...DEFAULT_CLUSTER, workers: [], keyAlgorithm };
    const m = memoryDir();
    const plan = planClusterPki(spec, new Map(), { now: new Date("2026-01-01T00:00:00Z"), server: SERVER });
    await applyPlan(plan, { dir: "d", sink: m.sink, existing: new Map(), clock: fixedClock("2026-01-01T00:00:00Z"), random: seededRandom(3) });
    const describe = (pem: string, priv: boolean): string => {
      const k = priv ? createPrivateKey(pem) : createPublicKey(pem);
      const d = k.asymmetricKeyDetails ?? {};
      return `${k.asymmetricKeyType ?? ""}${d.namedCurve ? ` ${d.namedCurve === "prime256v1" ? "P-256" : d.namedCurve === "secp384r1" ? "P-384" : d.namedCurve}` : ""}${d.modulusLength ? ` ${d.modulusLength}` : ""}`;
    };
    assert.equal(describe(m.files.get("d/pki/sa.key")!.data, true), want, `${name}: sa.key`);
    assert.equal(describe(m.files.get("d/pki/sa.pub")!.data, false), want, `${name}: sa.pub`);
    // The certificates keep the cluster's algorithm.
    const ca = parseCertificatePem(m.files.get("d/pki/ca.crt")!.data);
    assert.equal(ca.keyAlgorithm.kind, keyAlgorithm.kind, `${name}: ca.crt`);
  }
});

test("a CA that cannot sign (no keyCertSign) or a leaf as CA is refused before anything is written, naming its files", async () => {
  const m = await initOnce("2026-01-01T00:00:00Z");
  const at = new Date("2026-02-01T00:00:00Z");
  const caKey = parsePrivateKeyPem(m.files.get("d/pki/ca.key")!.data);
  const spki = keyPairSpki(caKey);
  const subject = parseDn("/CN=kubernetes");
  const noCertSign = await issueFromTemplate({
    serialNumber: Uint8Array.of(9), subject, issuerDer: encodeDn(subject), notBefore: at, notAfter: new Date(at.getTime() + 365 * DAY), spki,
    keyUsage: ["digitalSignature"], basicConstraints: { ca: true }, subjectKeyId: keyIdentifier(spki),
  }, { key: localKeySigner(caKey), at, skipLint: true });
  m.files.set("d/pki/ca.crt", { data: encodeCertificatePem(noCertSign), mode: 0o644 });
  const before = new Map(m.files);
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), m.source);
  const plan = planClusterPki(DEFAULT_CLUSTER, existing, { now: at, server: SERVER });
  await assert.rejects(
    applyPlan(plan, { dir: "d", sink: m.sink, existing, clock: fixedClock(at.toISOString()), random: seededRandom(1) }),
    (e: unknown) => e instanceof CaError && e.message === "d/pki/ca.crt: CA certificate without keyUsage keyCertSign; it cannot sign certificates",
  );
  assert.deepEqual(m.files, before);
  // `certs renew` and `kubeconfig user` sign through localCa too.
  const leaf = { cert: parseCertificatePem(m.files.get("d/pki/apiserver.crt")!.data), key: parsePrivateKeyPem(m.files.get("d/pki/apiserver.key")!.data) };
  const cases: [string, () => unknown, string][] = [
    ["leaf as CA", () => localCa(leaf, seededRandom(1), "d/pki/apiserver"), "d/pki/apiserver.crt: not a CA certificate (no basicConstraints CA:TRUE); it cannot sign certificates"],
    ["another key", () => localCa({ cert: noCertSign, key: leaf.key }, seededRandom(1), "d/pki/ca"), "d/pki/ca.key does not match d/pki/ca.crt"],
  ];
  for (const [name, f, message] of cases) assert.throws(f, (e: unknown) => e instanceof CaError && e.message === message, name);
});
