// Kubernetes protobuf request bodies → plain JSON objects. kubectl ≥ 1.32 sends
// `application/vnd.kubernetes.protobuf` for approve/deny, the auth reviews and imperative
// `create role|rolebinding|…` and never retries after a 415 (reference kubectl-protocol.md §8), so we
// decode the `k8s\0` + runtime.Unknown envelope and the messages of the kinds those commands send.
// A generic wire-format reader plus field tables (data, not code: DESIGN.md rule 9); field numbers are
// the ones of k8s.io/api/*/generated.proto.
import { ApiError, badRequest } from "../api/index.ts";
import { f, LABEL_SELECTOR, OBJECT_META, ptr, strings, type Field, type Message, type Scalar } from "./protobuf-schema.ts";
import { DEPLOYMENT, POD, REPLICA_SET, SERVICE } from "./protobuf-workloads.ts";

const EXTRA_VALUE: Message = { 1: strings("items") };
const CSR_CONDITION: Message = {
  1: f("type", "string"),
  6: f("status", "string"),
  2: f("reason", "string"),
  3: f("message", "string"),
  4: f("lastUpdateTime", "time"),
  5: f("lastTransitionTime", "time"),
};
const CSR: Message = {
  1: f("metadata", OBJECT_META),
  2: f("spec", {
    1: f("request", "bytes"),
    2: f("username", "string"),
    3: f("uid", "string"),
    4: strings("groups"),
    5: strings("usages"),
    6: f("extra", { map: EXTRA_VALUE }),
    7: f("signerName", "string"),
    8: f("expirationSeconds", "int"),
  }),
  3: f("status", { 1: f("conditions", CSR_CONDITION, true), 2: f("certificate", "bytes") }),
};
const RESOURCE_ATTRIBUTES: Message = {
  1: f("namespace", "string"),
  2: f("verb", "string"),
  3: f("group", "string"),
  4: f("version", "string"),
  5: f("resource", "string"),
  6: f("subresource", "string"),
  7: f("name", "string"),
};
const NON_RESOURCE_ATTRIBUTES: Message = { 1: f("path", "string"), 2: f("verb", "string") };
const SAR_SPEC: Message = {
  1: f("resourceAttributes", RESOURCE_ATTRIBUTES),
  2: f("nonResourceAttributes", NON_RESOURCE_ATTRIBUTES),
  3: f("user", "string"),
  4: strings("groups"),
  5: f("extra", { map: EXTRA_VALUE }),
  6: f("uid", "string"),
};
const SAR: Message = { 1: f("metadata", OBJECT_META), 2: f("spec", SAR_SPEC) };
const POLICY_RULE: Message = {
  1: strings("verbs"),
  2: strings("apiGroups"),
  3: strings("resources"),
  4: strings("resourceNames"),
  5: strings("nonResourceURLs"),
};
const BINDING: Message = {
  1: f("metadata", OBJECT_META),
  2: f("subjects", { 1: f("kind", "string"), 2: f("apiGroup", "string"), 3: f("name", "string"), 4: f("namespace", "string") }, true),
  3: f("roleRef", { 1: f("apiGroup", "string"), 2: f("kind", "string"), 3: f("name", "string") }),
};

// authentication/v1 TokenRequest (`kubectl create token`): spec {1 audiences, 4 *expirationSeconds,
// 3 boundObjectRef {1 kind, 2 apiVersion, 3 name, 4 uid}}; an explicit expirationSeconds 0 is kept.
const TOKEN_REQUEST: Message = {
  1: f("metadata", OBJECT_META),
  2: f("spec", {
    1: strings("audiences"),
    4: ptr("expirationSeconds", "int"),
    3: f("boundObjectRef", { 1: f("kind", "string"), 2: f("apiVersion", "string"), 3: f("name", "string"), 4: f("uid", "string") }),
  }),
};

// authentication/v1 TokenReview (webhooks' and kubelet's typed clients): spec {1 token, 2 audiences}; a
// client may send a status (3) it was given back, decoded so that nothing is silently lost.
const TOKEN_REVIEW: Message = {
  1: f("metadata", OBJECT_META),
  2: f("spec", { 1: f("token", "string"), 2: strings("audiences") }),
  3: f("status", {
    1: f("authenticated", "bool"),
    2: f("user", { 1: f("username", "string"), 2: f("uid", "string"), 3: strings("groups"), 4: f("extra", { map: EXTRA_VALUE }) }),
    3: f("error", "string"),
    4: strings("audiences"),
  }),
};

/** Kinds whose protobuf bodies we decode (what kubectl's typed clients send). */
export const PROTOBUF_KINDS: Readonly<Record<string, Message>> = {
  CertificateSigningRequest: CSR,
  SelfSubjectAccessReview: SAR,
  SubjectAccessReview: SAR,
  LocalSubjectAccessReview: SAR,
  SelfSubjectRulesReview: { 1: f("metadata", OBJECT_META), 2: f("spec", { 1: f("namespace", "string") }) },
  SelfSubjectReview: { 1: f("metadata", OBJECT_META) },
  TokenRequest: TOKEN_REQUEST,
  TokenReview: TOKEN_REVIEW,
  Role: { 1: f("metadata", OBJECT_META), 2: f("rules", POLICY_RULE, true) },
  ClusterRole: {
    1: f("metadata", OBJECT_META),
    2: f("rules", POLICY_RULE, true),
    3: f("aggregationRule", { 1: f("clusterRoleSelectors", LABEL_SELECTOR, true) }),
  },
  RoleBinding: BINDING,
  ClusterRoleBinding: BINDING,
  Namespace: { 1: f("metadata", OBJECT_META), 2: f("spec", { 1: strings("finalizers") }), 3: f("status", { 1: f("phase", "string") }) },
  ConfigMap: {
    1: f("metadata", OBJECT_META),
    2: f("data", { map: "string" }),
    3: f("binaryData", { map: "bytes" }),
    4: f("immutable", "bool"),
  },
  Secret: {
    1: f("metadata", OBJECT_META),
    2: f("data", { map: "bytes" }),
    3: f("type", "string"),
    4: f("stringData", { map: "string" }),
    5: f("immutable", "bool"),
  },
  ServiceAccount: {
    1: f("metadata", OBJECT_META),
    2: f("secrets", { 1: f("kind", "string"), 2: f("namespace", "string"), 3: f("name", "string") }, true),
    3: f("imagePullSecrets", { 1: f("name", "string") }, true),
    4: ptr("automountServiceAccountToken", "bool"),
  },
  Pod: POD,
  Deployment: DEPLOYMENT,
  ReplicaSet: REPLICA_SET,
  Service: SERVICE,
};

// ---- wire format (protobuf encoding spec: varint = 0, I64 = 1, LEN = 2, I32 = 5) -------------------

type RawValue = bigint | Uint8Array;
interface RawField {
  readonly num: number;
  readonly value: RawValue;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw badRequest("protobuf body is truncated (varint)");
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw badRequest("protobuf body has a varint longer than 10 bytes");
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw badRequest("protobuf body is truncated (length-delimited field)");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** Every field of one message, in wire order (unknown fields included; groups rejected). */
export function readFields(buf: Uint8Array): RawField[] {
  const r = new Reader(buf);
  const out: RawField[] = [];
  while (r.pos < buf.length) {
    const tag = r.varint();
    const num = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (num === 0) throw badRequest("protobuf body has field number 0");
    if (wire === 0) out.push({ num, value: r.varint() });
    else if (wire === 2) out.push({ num, value: r.bytes(Number(r.varint())) });
    else if (wire === 1) out.push({ num, value: r.bytes(8) });
    else if (wire === 5) out.push({ num, value: r.bytes(4) });
    else throw badRequest(`protobuf body has unsupported wire type ${wire}`);
  }
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function asBytes(v: RawValue, name: string): Uint8Array {
  if (typeof v === "bigint") throw badRequest(`protobuf field "${name}" has the wrong wire type`);
  return v;
}
function asInt(v: RawValue, name: string): number {
  if (typeof v !== "bigint") throw badRequest(`protobuf field "${name}" has the wrong wire type`);
  return Number(BigInt.asIntN(64, v));
}

function decodeTime(buf: Uint8Array): string | undefined {
  let seconds = 0;
  let nanos = 0;
  for (const fld of readFields(buf)) {
    if (fld.num === 1) seconds = asInt(fld.value, "seconds");
    if (fld.num === 2) nanos = asInt(fld.value, "nanos");
  }
  if (seconds === 0 && nanos === 0) return undefined; // Go's zero metav1.Time serialises as null
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const QUANTITY: Message = { 1: f("string", "string") };

/** IntOrString {1 type (0 Int, 1 String), 2 intVal, 3 strVal} → 8080 or "http" as in JSON. */
function decodeIntOrString(buf: Uint8Array, name: string): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = "";
  for (const fld of readFields(buf)) {
    if (fld.num === 1) type = asInt(fld.value, name);
    if (fld.num === 2) intVal = asInt(fld.value, name);
    if (fld.num === 3) strVal = decodeValue("string", fld.value, name) as string;
  }
  return type === 1 ? strVal : intVal;
}

function decodeValue(type: Field["type"], v: RawValue, name: string): unknown {
  switch (type) {
    case "string":
      try {
        return utf8.decode(asBytes(v, name));
      } catch {
        throw badRequest(`protobuf field "${name}" is not valid UTF-8`);
      }
    case "bytes":
      return Buffer.from(asBytes(v, name)).toString("base64");
    case "int":
      return asInt(v, name);
    case "bool":
      return asInt(v, name) !== 0;
    case "time":
      return decodeTime(asBytes(v, name));
    case "intOrString":
      return decodeIntOrString(asBytes(v, name), name);
    case "quantity":
      return decodeMessage(asBytes(v, name), QUANTITY)["string"] ?? "0";
    default:
      if ("map" in type) throw badRequest(`protobuf field "${name}" is a map inside a map`);
      return decodeMessage(asBytes(v, name), type as Message);
  }
}

function decodeMapEntry(buf: Uint8Array, valueType: Scalar | Message, name: string): [string, unknown] {
  let key = "";
  let value: unknown = valueType === "string" || valueType === "bytes" ? "" : {};
  for (const fld of readFields(buf)) {
    if (fld.num === 1) key = decodeValue("string", fld.value, `${name}.key`) as string;
    if (fld.num === 2) value = decodeValue(valueType, fld.value, `${name}[${key}]`);
  }
  // ExtraValue is `[]string` in Go and in JSON; only protobuf wraps it in a message {1 items}.
  if (valueType === EXTRA_VALUE) value = (value as { items?: unknown[] }).items ?? [];
  return [key, value];
}

export function decodeMessage(buf: Uint8Array, schema: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fld of readFields(buf)) {
    const def = schema[fld.num];
    if (def === undefined) continue; // a field we do not serve: ignored, like an unknown JSON field
    const t = def.type;
    if (typeof t === "object" && "map" in t) {
      const [k, v] = decodeMapEntry(asBytes(fld.value, def.name), t.map as Scalar | Message, def.name);
      const map = (out[def.name] ??= {}) as Record<string, unknown>;
      map[k] = v;
      continue;
    }
    const value = decodeValue(t, fld.value, def.name);
    if (def.repeated) ((out[def.name] ??= []) as unknown[]).push(value);
    // Go's generated code emits zero-valued scalars (""/0/false); its structs then serialise them as
    // omitted (omitempty), so drop them here too — e.g. SSAR validation wants metadata to be empty.
    // Pointer fields (keepZero) keep them: `replicas: 0` was asked for.
    else if (value !== undefined && (def.keepZero === true || (value !== "" && value !== 0 && value !== false))) out[def.name] = value;
  }
  return out;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

/** `k8s\0` + runtime.Unknown{1 typeMeta{1 apiVersion, 2 kind}, 2 raw} → a JSON object with kind/apiVersion. */
export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) {
    throw badRequest('protobuf body does not start with the "k8s\\x00" magic prefix');
  }
  let apiVersion = "";
  let kind = "";
  let raw: Uint8Array = new Uint8Array(0);
  for (const fld of readFields(body.subarray(4))) {
    if (fld.num === 1) {
      for (const tm of readFields(asBytes(fld.value, "typeMeta"))) {
        if (tm.num === 1) apiVersion = decodeValue("string", tm.value, "apiVersion") as string;
        if (tm.num === 2) kind = decodeValue("string", tm.value, "kind") as string;
      }
    } else if (fld.num === 2) raw = asBytes(fld.value, "raw");
  }
  const schema = PROTOBUF_KINDS[kind];
  if (schema === undefined) {
    throw new ApiError("UnsupportedMediaType", `protobuf bodies of kind "${kind}" are not supported; send application/json`);
  }
  return { apiVersion, kind, ...decodeMessage(raw, schema) };
}
