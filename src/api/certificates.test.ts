// Table-driven tests of the CSR validation messages (reference §2). CSRs are generated in the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn, parseCsrPem } from "../pki/index.ts";
import { toBase64, utf8 } from "../base/index.ts";
import {
  csrConditionText,
  fieldErrorString,
  populateConditionTimestamps,
  validateCsrCreate,
  validateCsrUpdate,
  validateSignerName,
} from "./index.ts";
import type { CertificateSigningRequest } from "./index.ts";

const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
const pem = encodeCsrPem(createCsr({ subject: makeDn([{ type: "CN", value: "minjun" }, { type: "O", value: "dev-team" }]), key }));
const b64 = (s: string): string => toBase64(utf8(s));

function csr(over: Partial<CertificateSigningRequest["spec"]> = {}, status?: CertificateSigningRequest["status"]): CertificateSigningRequest {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name: "minjun-csr" },
    spec: { request: b64(pem), signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"], ...over },
    ...(status ? { status } : {}),
  };
}

const msgs = (o: CertificateSigningRequest): string[] => validateCsrCreate(o).map(fieldErrorString);

test("a well-formed CSR validates", () => {
  assert.deepEqual(msgs(csr()), []);
  assert.equal(parseCsrPem(pem).subject.attributes[0]?.value, "minjun");
});

const CREATE_CASES: { name: string; obj: CertificateSigningRequest; want: string[] }[] = [
  { name: "no usages", obj: csr({ usages: [] }), want: ["spec.usages: Required value"] },
  {
    name: "unknown usage",
    obj: csr({ usages: ["client auth", "foo"] }),
    want: [
      `spec.usages[1]: Unsupported value: "foo": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"`,
    ],
  },
  { name: "duplicate usage", obj: csr({ usages: ["client auth", "client auth"] }), want: ['spec.usages[1]: Duplicate value: "client auth"'] },
  { name: "legacy signer", obj: csr({ signerName: "kubernetes.io/legacy-unknown" }), want: ['spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version'] },
  { name: "empty signer", obj: csr({ signerName: "" }), want: ["spec.signerName: Required value: signerName must be provided"] },
  {
    name: "signer without slash",
    obj: csr({ signerName: "xiazemin" }),
    want: [`spec.signerName: Invalid value: "xiazemin": must be a fully qualified domain and path of the form 'example.com/signer-name'`],
  },
  { name: "one-label domain", obj: csr({ signerName: "example/x" }), want: ['spec.signerName: Invalid value: "example": should be a domain with at least two segments separated by dots'] },
  {
    name: "upper-case label",
    obj: csr({ signerName: "Example.com/x" }),
    want: [
      `spec.signerName: Invalid value: "Example.com": validating label "Example": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ],
  },
  { name: "expirationSeconds < 600", obj: csr({ expirationSeconds: 599 }), want: ["spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)"] },
  { name: "request not PEM", obj: csr({ request: b64("hello") }), want: ['spec.request: Invalid value: "hello": PEM block type must be CERTIFICATE REQUEST'] },
  {
    name: "conditions: empty status, bad status, mutually exclusive, duplicate",
    obj: csr({}, { conditions: [{ type: "Approved", status: "" }, { type: "Denied", status: "False" }, { type: "Approved", status: "True" }] }),
    want: [
      "status.conditions[0].status: Required value",
      'status.conditions[1].status: Unsupported value: "False": supported values: "True"',
      'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
      'status.conditions[2].type: Invalid value: "Approved": Approved and Denied conditions are mutually exclusive',
      'status.conditions[2].type: Duplicate value: "Approved"',
    ],
  },
  { name: "custom condition status", obj: csr({}, { conditions: [{ type: "Custom", status: "Maybe" }] }), want: ['status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"'] },
  { name: "certificate not CERTIFICATE", obj: csr({}, { certificate: b64(pem) }), want: ['status.certificate: Invalid value: "<certificate data>": only CERTIFICATE PEM blocks are allowed, found "CERTIFICATE REQUEST"'] },
  { name: "certificate no PEM", obj: csr({}, { certificate: b64("junk") }), want: ['status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block'] },
];

for (const c of CREATE_CASES) {
  test(`create validation: ${c.name}`, () => {
    const got = msgs(c.obj).map((m) => (m.startsWith("spec.request: Invalid value: ") ? m.replace(/Invalid value: "[\s\S]*?": /, 'Invalid value: "hello": ') : m));
    assert.deepEqual(got, c.want);
  });
}

test("a CSR whose signature does not verify is refused", () => {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, ""), "base64");
  der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff; // flip a signature byte
  const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
  const errs = msgs(csr({ request: b64(bad) }));
  assert.equal(errs.length, 1);
  assert.match(errs[0] ?? "", /^spec\.request: Invalid value: .*(verification|cannot parse)/);
});

test("signer name rules", () => {
  assert.deepEqual(validateSignerName("example.com/my-signer"), []);
  assert.deepEqual(validateSignerName("example.com/a.b.c"), []);
  assert.equal(validateSignerName("example.com/").length, 1);
  const long = validateSignerName(`${"a".repeat(64)}.com/x`).map(fieldErrorString);
  assert.match(long[0] ?? "", /validating label "a{64}": must be no more than 63 characters$/);
});

const t0 = "2026-01-01T00:00:00Z";
const approved = { type: "Approved", status: "True", reason: "KubectlApprove", message: "m", lastUpdateTime: t0, lastTransitionTime: t0 };

const UPDATE_CASES: { name: string; old: CertificateSigningRequest; next: CertificateSigningRequest; kind: "main" | "status" | "approval"; want: string[] }[] = [
  { name: "approval adds Approved", old: csr(), next: csr({}, { conditions: [approved] }), kind: "approval", want: [] },
  { name: "status may not add Approved", old: csr(), next: csr({}, { conditions: [approved] }), kind: "status", want: ['status.conditions: Forbidden: updates may not add a condition of type "Approved"'] },
  { name: "main may not add Approved", old: csr(), next: csr({}, { conditions: [approved] }), kind: "main", want: ['status.conditions: Forbidden: updates may not add a condition of type "Approved"'] },
  { name: "approval may not remove Approved", old: csr({}, { conditions: [approved] }), next: csr({}, { conditions: [] }), kind: "approval", want: ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"'] },
  { name: "main may not set certificate", old: csr(), next: csr({}, { certificate: "" }), kind: "main", want: [] },
  { name: "approval adds Denied to Approved", old: csr({}, { conditions: [approved] }), next: csr({}, { conditions: [approved, { ...approved, type: "Denied" }] }), kind: "approval", want: ['status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive'] },
  { name: "ratchet: legacy signer kept", old: csr({ signerName: "kubernetes.io/legacy-unknown" }), next: csr({ signerName: "kubernetes.io/legacy-unknown" }), kind: "main", want: [] },
  { name: "ratchet: duplicate usages kept", old: csr({ usages: ["client auth", "client auth"] }), next: csr({ usages: ["client auth", "client auth"] }), kind: "main", want: [] },
];

for (const c of UPDATE_CASES) {
  test(`update validation: ${c.name}`, () => {
    assert.deepEqual(validateCsrUpdate(c.next, c.old, c.kind).map(fieldErrorString), c.want);
  });
}

test("status update modifying an Approved condition is forbidden with a diff", () => {
  const errs = validateCsrUpdate(csr({}, { conditions: [{ ...approved, message: "x" }] }), csr({}, { conditions: [approved] }), "status").map(fieldErrorString);
  assert.equal(errs.length, 1);
  assert.match(errs[0] ?? "", /^status\.conditions: Forbidden: updates may not modify a condition of type "Approved"\n/);
});

test("certificate is write-once", () => {
  const cert = b64("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
  const errs = validateCsrUpdate(csr({}, { certificate: cert }), csr({}, { certificate: b64("x") }), "status").map(fieldErrorString);
  assert.ok(errs.includes("status.certificate: Forbidden: updates may not modify existing certificate content"), errs.join("\n"));
  const errs2 = validateCsrUpdate(csr({}, { certificate: cert }), csr(), "approval").map(fieldErrorString);
  assert.ok(errs2.includes("status.certificate: Forbidden: updates may not set certificate content"), errs2.join("\n"));
});

test("condition timestamps and defaulting", () => {
  const now = new Date("2026-02-03T04:05:06.789Z");
  const [c] = populateConditionTimestamps([{ type: "Approved" }], [], now);
  assert.deepEqual(c, { type: "Approved", status: "True", lastUpdateTime: "2026-02-03T04:05:06Z", lastTransitionTime: "2026-02-03T04:05:06Z" });
  const [d] = populateConditionTimestamps([{ type: "Approved", status: "True" }], [approved], now);
  assert.equal(d?.lastTransitionTime, t0);
});

test("CONDITION column text", () => {
  assert.equal(csrConditionText(csr()), "Pending");
  assert.equal(csrConditionText(csr({}, { conditions: [approved], certificate: "eA==" })), "Approved,Issued");
  assert.equal(csrConditionText(csr({}, { conditions: [approved, { type: "Failed", status: "True" }] })), "Approved,Failed");
  assert.equal(csrConditionText(csr({}, { conditions: [{ type: "Denied", status: "True" }] })), "Denied");
});

