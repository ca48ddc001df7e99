// /openapi/v2, for kubectl ≤ 1.27: it asks whether the server supports the `fieldValidation` query
// param through OpenAPI v2 only (newer clients use /openapi/v3, §2), in gnostic's protobuf form
// (asked for as `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`; answered as
// `…spec.v2.v1.0+protobuf` like kube-openapi, because Go's mime parser rejects the "@"). Like the v3 documents this holds one
// PATCH operation per kind — the x-kubernetes-group-version-kind extension plus the query params — and
// no definitions, so kubectl keeps its compiled-in types for strategic merge patches.
// Field numbers: github.com/google/gnostic-models openapiv2/OpenAPIv2.proto.
import type { ResourceInfo } from "../api/index.ts";

export const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

type Value = string | boolean | Field[];
type Field = readonly [number, Value];

function varint(n: number, out: number[]): void {
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function encode(fields: readonly Field[]): Uint8Array {
  const out: number[] = [];
  for (const [num, value] of fields) {
    if (typeof value === "boolean") {
      varint(num << 3, out);
      varint(value ? 1 : 0, out);
      continue;
    }
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : encode(value);
    varint((num << 3) | 2, out);
    varint(bytes.length, out);
    for (const b of bytes) out.push(b);
  }
  return new Uint8Array(out);
}

/** NonBodyParameter{3 query_parameter_sub_schema{2 in, 4 name, 6 type}} inside ParametersItem{1 Parameter{2 …}}. */
function queryParam(name: string, type: string): Field {
  return [8, [[1, [[2, [[3, [[2, "query"], [4, name], [6, type]]]]]]]]];
}

function patchPath(r: ResourceInfo): Field {
  const prefix = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const path = `${prefix}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}/{name}`;
  // NamedAny{1 name, 2 Any{2 yaml}}: kubectl parses the extension's YAML into {group, kind, version}.
  const gvk = `group: "${r.group}"\nkind: ${r.kind}\nversion: ${r.version}\n`;
  const operation: Field[] = [
    [5, `patch${r.kind}`],
    queryParam("dryRun", "string"),
    queryParam("fieldManager", "string"),
    queryParam("fieldValidation", "string"),
    queryParam("force", "boolean"),
    [13, [[1, "x-kubernetes-group-version-kind"], [2, [[2, gvk]]]]],
  ];
  // NamedPathItem{1 name, 2 PathItem{8 patch}}
  return [2, [[1, path], [2, [[8, operation]]]]];
}

/** Document{1 swagger, 2 info{1 title, 2 version}, 8 paths{2 path[]}}. */
export function openapiV2Protobuf(resources: readonly ResourceInfo[], version: string): Uint8Array {
  const seen = new Set<string>();
  const paths: Field[] = [];
  for (const r of resources) {
    const key = `${r.group}/${r.version}/${r.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    paths.push(patchPath(r));
  }
  return encode([
    [1, "2.0"],
    [2, [[1, "Kubernetes"], [2, version]]],
    [8, paths],
  ]);
}
