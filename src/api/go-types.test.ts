import assert from "node:assert/strict";
import { test } from "node:test";
import { goTypeError } from "./go-types.ts";

test("goTypeError: Go's encoding/json messages for wrongly typed fields; null and valid bodies pass", () => {
  const meta = { name: "x" };
  const cases: [string, string, Record<string, unknown>, string | undefined][] = [
    ["valid configmap", "ConfigMap", { apiVersion: "v1", kind: "ConfigMap", metadata: meta, data: { a: "b" }, binaryData: { b: "YWI=" } }, undefined],
    ["null is Go's zero value", "ConfigMap", { metadata: { name: "x", labels: null }, data: null }, undefined],
    ["name a number", "ConfigMap", { metadata: { name: 5 } }, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string"],
    ["metadata a string", "ConfigMap", { metadata: "x" }, "json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta"],
    ["labels a string", "Secret", { metadata: { labels: "x" } }, "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string"],
    ["label value a number", "Secret", { metadata: { labels: { a: 1 } } }, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"],
    ["finalizers a string", "Pod", { metadata: { finalizers: "x" } }, "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type []string"],
    ["generation a fraction", "Pod", { metadata: { generation: 1.5 } }, "json: cannot unmarshal number 1.5 into Go struct field ObjectMeta.metadata.generation of type int64"],
    ["data value an array", "ConfigMap", { data: { a: [1] } }, "json: cannot unmarshal array into Go struct field ConfigMap.data of type string"],
    ["secret data not base64", "Secret", { data: { a: "!!" } }, "illegal base64 data at input byte 0"],
    ["rule verbs a string", "Role", { rules: [{ verbs: "get" }] }, "json: cannot unmarshal string into Go struct field PolicyRule.rules.verbs of type []string"],
    ["csr expirationSeconds a string", "CertificateSigningRequest", { spec: { expirationSeconds: "1h" } }, "json: cannot unmarshal string into Go struct field CertificateSigningRequestSpec.spec.expirationSeconds of type int32"],
    ["csr extra in JSON shape", "CertificateSigningRequest", { spec: { extra: { scopes: ["a"] } } }, undefined],
    ["spec a string on an untyped kind", "Deployment", { spec: "x" }, "json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec"],
  ];
  for (const [name, kind, obj, want] of cases) assert.equal(goTypeError(kind, obj), want, name);
});
