// Fixtures for the controllers' tests (and test/): a CA made in memory, CSR objects from generated
// keys, and Stores over the memory backend. Nothing here is used in production paths.
import type { ApiObject, CertificateSigningRequest } from "../api/index.ts";
import { toBase64, utf8, DAY, fixedClock, seededRandom } from "../base/index.ts";
import type { Clock } from "../base/index.ts";
import { createIntermediateCa, createLocalSigner, createRootCa, localKeySigner } from "../ca/index.ts";
import type { Signer } from "../ca/index.ts";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn, makeSans } from "../pki/index.ts";
import type { Certificate, KeyPair, NameAttribute, SubjectAltNames } from "../pki/index.ts";
import { createMemoryBackend, createStore } from "../storage/index.ts";
import type { StorageBackend, Store } from "../storage/index.ts";

export const T0 = "2026-03-01T12:00:00Z";

export function testClock(at: string = T0): ReturnType<typeof fixedClock> {
  return fixedClock(at);
}

export interface TestCa {
  readonly root: Certificate;
  readonly signer: Signer;
}

/** A root CA (10 years) and, with `intermediate`, a signer that is an intermediate under it. */
export async function testCa(clock: Clock, opts: { intermediate?: boolean; validityMs?: number; seed?: number } = {}): Promise<TestCa> {
  const random = seededRandom(opts.seed ?? 7);
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const root = await createRootCa({ subject: makeDn([{ type: "CN", value: "kubernetes" }]), key, validityMs: opts.validityMs ?? 3650 * DAY, clock, random });
  const rootSigner = createLocalSigner({ signerName: "kubernetes.io/kube-apiserver-client", caCertificate: root, key: localKeySigner(key), clock, random });
  if (!opts.intermediate) return { root, signer: rootSigner };
  const ikey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const inter = await createIntermediateCa({ parent: rootSigner, subject: makeDn([{ type: "CN", value: "kpki signing intermediate" }]), key: ikey, validityMs: 365 * DAY });
  const signer = createLocalSigner({ signerName: "kubernetes.io/kube-apiserver-client", caCertificate: inter, key: localKeySigner(ikey), chain: [inter], clock, random });
  return { root, signer };
}

export interface CsrFixture {
  name?: string;
  cn: string;
  orgs?: string[];
  sans?: Partial<SubjectAltNames>;
  signerName?: string;
  usages?: string[];
  expirationSeconds?: number;
  username?: string;
  groups?: string[];
  key?: KeyPair;
  ca?: boolean;
}

const sharedKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });

export function csrPem(f: CsrFixture): string {
  const attrs: NameAttribute[] = [{ type: "CN", value: f.cn }, ...(f.orgs ?? []).map((o) => ({ type: "O", value: o }))];
  return encodeCsrPem(createCsr({ subject: makeDn(attrs), sans: makeSans(f.sans ?? {}), key: f.key ?? sharedKey, ca: f.ca ?? false }));
}

/** A stored-looking CSR object (as after PrepareForCreate). */
export function csrObject(f: CsrFixture): CertificateSigningRequest {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name: f.name ?? "csr-1" },
    spec: {
      request: toBase64(utf8(csrPem(f))),
      signerName: f.signerName ?? "kubernetes.io/kube-apiserver-client",
      usages: f.usages ?? ["client auth"],
      ...(f.expirationSeconds !== undefined ? { expirationSeconds: f.expirationSeconds } : {}),
      username: f.username ?? "kubernetes-admin",
      groups: f.groups ?? ["kubeadm:cluster-admins", "system:authenticated"],
    },
    status: { conditions: [] },
  };
}

export function approvedCondition(at: string = T0): NonNullable<NonNullable<CertificateSigningRequest["status"]>["conditions"]>[number] {
  return { type: "Approved", status: "True", reason: "KubectlApprove", message: "This CSR was approved by kubectl certificate approve.", lastUpdateTime: at, lastTransitionTime: at };
}

export interface TestStores {
  readonly backend: StorageBackend;
  readonly csrs: Store<CertificateSigningRequest>;
  readonly namespaces: Store<ApiObject>;
  readonly configMaps: Store<ApiObject>;
}

export function memoryStores(clock: Clock): TestStores {
  const backend = createMemoryBackend();
  const o = { clock, random: seededRandom(3) };
  return {
    backend,
    csrs: createStore<CertificateSigningRequest>(backend, { namespaced: false, group: "certificates.k8s.io", resource: "certificatesigningrequests" }, o),
    namespaces: createStore(backend, { namespaced: false, group: "", resource: "namespaces" }, o),
    configMaps: createStore(backend, { namespaced: true, group: "", resource: "configmaps" }, o),
  };
}
