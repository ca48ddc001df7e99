import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError } from "../api/index.ts";
import { decodeProtobufObject } from "./protobuf.ts";

// A minimal protobuf writer for the test: what Go's generated marshallers emit for these messages.
type Part = [number, string | number | Uint8Array | Part[]];
function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v = BigInt.asUintN(64, v);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
function enc(parts: readonly Part[]): Uint8Array {
  const out: number[] = [];
  for (const [num, v] of parts) {
    if (typeof v === "number") out.push(...varint(num << 3), ...varint(v));
    else {
      const bytes = typeof v === "string" ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : enc(v);
      out.push(...varint((num << 3) | 2), ...varint(bytes.length), ...bytes);
    }
  }
  return new Uint8Array(out);
}
function envelope(apiVersion: string, kind: string, raw: Part[]): Uint8Array {
  const body = enc([[1, [[1, apiVersion], [2, kind]]], [2, enc(raw)], [3, ""], [4, ""]]);
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...body]);
}

test("decodes the bodies kubectl 1.32 sends as protobuf", () => {
  const cases: { name: string; body: Uint8Array; want: unknown }[] = [
    {
      name: "SelfSubjectAccessReview (auth can-i)",
      body: envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", [[1, []], [2, [[1, [[1, "default"], [2, "list"], [3, ""], [5, "pods"]]]]]]),
      want: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", metadata: {}, spec: { resourceAttributes: { namespace: "default", verb: "list", resource: "pods" } } },
    },
    {
      name: "Role with an empty apiGroup kept (create role)",
      body: envelope("rbac.authorization.k8s.io/v1", "Role", [[1, [[1, "r"], [3, "ns"], [11, [[1, "a"], [2, "b"]]]]], [2, [[1, "get"], [1, "list"], [2, ""], [3, "pods"]]]]),
      want: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "r", namespace: "ns", labels: { a: "b" } }, rules: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }] },
    },
    {
      name: "CSR spec.extra: ExtraValue{1 items} is a plain string list in JSON (approve sends it back)",
      body: envelope("certificates.k8s.io/v1", "CertificateSigningRequest", [[1, [[1, "c"]]], [2, [[2, "u"], [6, [[1, "scopes"], [2, [[1, "a"], [1, "b"]]]]]]]]),
      want: { apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name: "c" }, spec: { username: "u", extra: { scopes: ["a", "b"] } } },
    },
    {
      name: "RoleBinding",
      body: envelope("rbac.authorization.k8s.io/v1", "RoleBinding", [[1, [[1, "b"]]], [2, [[1, "User"], [2, "rbac.authorization.k8s.io"], [3, "minjun"]]], [3, [[1, "rbac.authorization.k8s.io"], [2, "Role"], [3, "r"]]]]),
      want: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "b" }, subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "minjun" }], roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "r" } },
    },
    {
      name: "CSR approval with times and bytes",
      body: envelope("certificates.k8s.io/v1", "CertificateSigningRequest", [
        [1, [[1, "c"], [6, "42"], [8, [[1, 1700000000]]]]],
        [2, [[1, new Uint8Array([1, 2, 3])], [5, "client auth"], [8, 86400]]],
        [3, [[1, [[1, "Approved"], [6, "True"], [2, "KubectlApprove"], [4, [[1, 1700000001]]], [5, []]]]]],
      ]),
      want: {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { name: "c", resourceVersion: "42", creationTimestamp: "2023-11-14T22:13:20Z" },
        spec: { request: "AQID", usages: ["client auth"], expirationSeconds: 86400 },
        status: { conditions: [{ type: "Approved", status: "True", reason: "KubectlApprove", lastUpdateTime: "2023-11-14T22:13:21Z" }] },
      },
    },
  ];
  for (const c of cases) assert.deepEqual(decodeProtobufObject(c.body), c.want, c.name);
});

test("rejects malformed protobuf with a 400 and unknown kinds with a 415", () => {
  const bad: [string, Uint8Array, string][] = [
    ["no magic", new Uint8Array([1, 2, 3, 4, 5]), "BadRequest"],
    ["truncated", new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x50, 0x01]), "BadRequest"],
    ["unknown kind", envelope("batch/v1", "Job", [[1, [[1, "p"]]]]), "UnsupportedMediaType"],
    ["string not UTF-8", envelope("v1", "Namespace", [[1, [[1, new Uint8Array([0xff, 0xfe])]]]]), "BadRequest"],
  ];
  for (const [name, body, code] of bad) {
    assert.throws(() => decodeProtobufObject(body), (e: unknown) => e instanceof ApiError && e.code === code, name);
  }
});

// Bodies captured from `kubectl -v=9` (1.32.4): `create deployment d3 --image=busybox --replicas=0 -- sleep 10`
// and `create service nodeport my-np --tcp=80:8080 --node-port=30080`.
const CAPTURED: [string, string, unknown][] = [
  [
    "Deployment (replicas 0 kept: a pointer field; empty strategy/status messages)",
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b7010a1d0a02643312001a0022002a003200380042005a090a03617070120264331287010800120b0a090a03617070120264331a6e0a1b0a0012001a0022002a003200380042005a090a0361707012026433124f12310a0762757379626f78120762757379626f781a05736c6565701a0231302a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200",
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d3", labels: { app: "d3" } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "d3" } },
        template: { metadata: { labels: { app: "d3" } }, spec: { containers: [{ name: "busybox", image: "busybox", command: ["sleep", "10"], resources: {} }] } },
        strategy: {},
      },
    },
  ],
  [
    "Service NodePort (IntOrString targetPort)",
    "6b3873000a0d0a02763112075365727669636512700a230a056d792d6e7012001a0022002a003200380042005a0c0a0361707012056d792d6e7012450a1d0a0738302d38303830120354435018502207080010903f1a002880eb01120c0a0361707012056d792d6e701a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200",
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "my-np", labels: { app: "my-np" } },
      spec: { ports: [{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080, nodePort: 30080 }], selector: { app: "my-np" }, type: "NodePort" },
    },
  ],
];

test("decodes captured kubectl create deployment / service bodies", () => {
  for (const [name, hex, want] of CAPTURED) assert.deepEqual(decodeProtobufObject(Buffer.from(hex, "hex")), want, name);
});

test("IntOrString strings and unknown field numbers", () => {
  const body = envelope("v1", "Service", [[2, [[1, [[3, 80], [4, [[1, 1], [3, "http"]]]]], [99, "ignored"]]], [77, [[1, "x"]]]]);
  assert.deepEqual(decodeProtobufObject(body), { apiVersion: "v1", kind: "Service", spec: { ports: [{ port: 80, targetPort: "http" }] } });
});

test("decodes kubectl 1.33's TokenRequest bodies (create token [--duration --audience --bound-object-*])", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    [
      "create token ci",
      "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121a0a100a0012001a0022002a0032003800420012001a040a0012001a002200",
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", metadata: {}, spec: {} },
    ],
    [
      "--duration 2h --audience a1 --audience a2 --bound-object-kind Secret --bound-object-name s --bound-object-uid u-1",
      "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374123b0a100a0012001a0022002a0032003800420012210a0261310a0261321a140a06536563726574120276311a01732203752d3120a0381a040a0012001a002200",
      {
        apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", metadata: {},
        spec: { audiences: ["a1", "a2"], boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s", uid: "u-1" }, expirationSeconds: 7200 },
      },
    ],
  ];
  for (const [name, hex, want] of cases) assert.deepEqual(decodeProtobufObject(Buffer.from(hex, "hex")), want, name);
});

test("decodes TokenReview bodies (client-go typed clients: spec.token, spec.audiences)", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    [
      "token + two audiences, empty metadata",
      "6b3873000a270a1861757468656e7469636174696f6e2e6b38732e696f2f7631120b546f6b656e526576696577121c0a0012180a0e65794a68624763694f692e782e7912026131120261321a002200",
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: {}, spec: { token: "eyJhbGciOi.x.y", audiences: ["a1", "a2"] } },
    ],
    [
      "named, token only",
      "6b3873000a270a1861757468656e7469636174696f6e2e6b38732e696f2f7631120b546f6b656e526576696577120d0a040a02723112050a0374306b",
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: { name: "r1" }, spec: { token: "t0k" } },
    ],
  ];
  for (const [name, hex, want] of cases) assert.deepEqual(decodeProtobufObject(Buffer.from(hex, "hex")), want, name);
});
