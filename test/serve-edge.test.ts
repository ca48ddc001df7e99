// The HTTPS edge on its own (server/ with a fake registry and fake auth): status codes and Status
// bodies, body decoding (JSON, YAML, protobuf; 400/413/415), discovery media types, Tables and the
// watch stream. The real registry and kubectl are exercised in kubectl*.test.ts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { once } from "node:events";
import { connect as tlsConnect } from "node:tls";
import { RESOURCES, notFound, type ApiObject, type ResourceInfo } from "../src/api/index.ts";
import type { Authenticator, Authorizer, UserInfo } from "../src/auth/index.ts";
import { systemClock } from "../src/base/index.ts";
import { parseCertificateDer } from "../src/pki/index.ts";
import type { Registry, ResourceHandler } from "../src/registry/index.ts";
import { startApiServer, type RunningApiServer } from "../src/server/index.ts";
import { StorageError, type WatchEvent } from "../src/storage/index.ts";
import { createStrayCa } from "./helpers/certs.ts";

const ADMIN: UserInfo = { name: "admin", groups: ["system:masters", "system:authenticated"], extra: {} };
const ANON: UserInfo = { name: "system:anonymous", groups: ["system:unauthenticated"], extra: {} };

// Bearer "admin" → admin, "bad" → rejected, nothing → anonymous (FailOnError semantics).
const authenticator: Authenticator = {
  async authenticate(c) {
    if (c.bearerToken === "admin") return { outcome: "authenticated", user: ADMIN };
    if (c.bearerToken !== undefined) return { outcome: "rejected", reason: "unknown token" };
    return { outcome: "authenticated", user: ANON };
  },
};
// Anonymous: non-resource GETs only (system:discovery + system:public-info-viewer, roughly).
const authorizer: Authorizer = {
  async authorize(a) {
    if (a.user.name === "admin") return { verdict: "allow", reason: "" };
    return !a.isResourceRequest && a.verb === "get" ? { verdict: "allow", reason: "" } : { verdict: "no-opinion", reason: "" };
  },
};

function fakeConfigMaps(info: ResourceInfo): ResourceHandler & { emit(ev: WatchEvent): void } {
  const objects = new Map<string, ApiObject>();
  const listeners = new Set<(ev: WatchEvent) => void>();
  let rv = 10;
  const put = (o: ApiObject): ApiObject => {
    const stored = { ...o, apiVersion: "v1", kind: "ConfigMap", metadata: { ...o.metadata, resourceVersion: String(++rv), creationTimestamp: "2026-01-01T00:00:00Z" } };
    objects.set(`${stored.metadata.namespace}/${stored.metadata.name}`, stored);
    return stored;
  };
  const unsupported = async (): Promise<never> => {
    throw new Error("not in this fake");
  };
  return {
    info,
    emit: (ev) => listeners.forEach((l) => l(ev)),
    create: async (_ctx, _ns, obj) => put(obj),
    get: async (_ctx, ns, name) => objects.get(`${ns}/${name}`) ?? Promise.reject(notFound("", "configmaps", name)),
    list: async (_ctx, ns) => ({ apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: String(rv) }, items: [...objects.values()].filter((o) => o.metadata.namespace === ns) }),
    update: unsupported,
    patch: unsupported,
    delete: unsupported,
    deleteCollection: unsupported,
    async *watch(_ctx, _ns, params, signal) {
      if (params.resourceVersion === "1") throw new StorageError("compacted", "revision 1 has been compacted");
      if (params.resourceVersion === "2") {
        await new Promise((r) => setTimeout(r, 20)); // the stream is open by then
        throw new StorageError("compacted", "revision 2 has been compacted");
      }
      const queue: WatchEvent[] = [];
      let wake: (() => void) | undefined;
      const l = (ev: WatchEvent): void => {
        queue.push(ev);
        wake?.();
      };
      listeners.add(l);
      signal.addEventListener("abort", () => wake?.());
      try {
        while (!signal.aborted) {
          const ev = queue.shift();
          if (ev) yield ev;
          else await new Promise<void>((r) => (wake = r));
        }
      } finally {
        listeners.delete(l);
      }
    },
  };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe("server edge", () => {
  let server: RunningApiServer;
  let configMaps: ReturnType<typeof fakeConfigMaps>;
  const call = (method: string, path: string, o: { token?: string; accept?: string; type?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers["Authorization"] = `Bearer ${o.token}`;
      if (o.accept) headers["Accept"] = o.accept;
      if (o.type) headers["Content-Type"] = o.type;
      const req = request(`${server.url}${path}`, { method, headers, rejectUnauthorized: false }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end(o.body);
    });

  before(async () => {
    const info = RESOURCES.find((r) => r.group === "" && r.resource === "configmaps");
    assert.ok(info);
    configMaps = fakeConfigMaps(info);
    const registry: Registry = { handler: (g, _v, r) => (g === "" && r === "configmaps" ? configMaps : undefined), resources: () => [info] };
    const ca = await createStrayCa("kpki-edge-test");
    server = await startApiServer({ registry, authenticator, authorizer, parseCertificate: parseCertificateDer, clock: systemClock, tls: { cert: ca.certPem, key: ca.keyPem }, host: "127.0.0.1", port: 0, maxBodyBytes: 4096 });
  });
  after(() => server.close());

  it("answers health, readiness and /version", async () => {
    for (const p of ["/healthz", "/livez", "/readyz"]) {
      const r = await call("GET", p);
      assert.deepEqual([r.status, r.body, r.headers["content-type"]], [200, "ok", "text/plain; charset=utf-8"], p);
    }
    const v = JSON.parse((await call("GET", "/version?timeout=32s")).body) as { minor: string; gitVersion: string };
    assert.deepEqual([v.minor, v.gitVersion], ["32", "v1.32.4"]);
  });

  it("401 with apiserver's exact Status body for a rejected credential (never anonymous)", async () => {
    const r = await call("GET", "/api", { token: "bad" });
    assert.equal(r.status, 401);
    assert.equal(r.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}');
  });

  it("403 with the Forbidden message and details for anonymous resource requests", async () => {
    const r = await call("GET", "/api/v1/namespaces/default/configmaps");
    assert.equal(r.status, 403);
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    assert.equal(
      r.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps is forbidden: User \\"system:anonymous\\" cannot list resource \\"configmaps\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"kind":"configmaps"},"code":403}',
    );
    const post = await call("POST", "/healthz");
    assert.equal(JSON.parse(post.body).message, 'forbidden: User "system:anonymous" cannot post path "/healthz"');
  });

  it("discovery: aggregated media type only when asked, legacy otherwise; OpenAPI v3 with the PATCH probe", async () => {
    const agg = await call("GET", "/api?timeout=32s", { accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json" });
    assert.equal(agg.headers["content-type"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    const item = (JSON.parse(agg.body) as { items: { versions: { resources: { resource: string; scope: string; responseKind: { kind: string } }[] }[] }[] }).items[0];
    assert.deepEqual(item?.versions[0]?.resources.map((r) => [r.resource, r.scope, r.responseKind.kind]), [["configmaps", "Namespaced", "ConfigMap"]]);
    const legacy = await call("GET", "/api/v1", { accept: "application/json, */*" });
    assert.equal(legacy.headers["content-type"], "application/json");
    assert.equal((JSON.parse(legacy.body) as { resources: { shortNames: string[] }[] }).resources[0]?.shortNames[0], "cm");
    const gv = JSON.parse((await call("GET", "/openapi/v3/api/v1?timeout=32s")).body) as { paths: Record<string, { patch: { parameters: { name: string }[] } }> };
    const op = gv.paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]?.patch;
    assert.ok(op?.parameters.some((p) => p.name === "fieldValidation"));
    assert.equal((await call("GET", "/openapi/v2", { accept: "application/json" })).status, 404);
  });

  it("decodes JSON, YAML and protobuf bodies; rejects bad ones with 400/413/415", async () => {
    const json = await call("POST", "/api/v1/namespaces/default/configmaps", { token: "admin", type: "application/json", body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}' });
    assert.equal(json.status, 201, json.body);
    assert.equal(JSON.parse(json.body).metadata.namespace, "default");
    const yaml = await call("POST", "/api/v1/namespaces/default/configmaps", { token: "admin", type: "application/yaml", body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n" });
    assert.equal(yaml.status, 201, yaml.body);
    // k8s\0 + Unknown{typeMeta{"v1","ConfigMap"}, raw=ConfigMap{metadata{name:"c"}, data{"x":"y"}}}
    const raw = [0x0a, 0x03, 0x0a, 0x01, 0x63, 0x12, 0x06, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79];
    const pb = new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, ...Buffer.from("ConfigMap"), 0x12, raw.length, ...raw]);
    const proto = await call("POST", "/api/v1/namespaces/default/configmaps", { token: "admin", type: "application/vnd.kubernetes.protobuf", body: pb });
    assert.equal(proto.status, 201, proto.body);
    assert.deepEqual(JSON.parse(proto.body).data, { x: "y" });
    const cases: [string, { type?: string; body: string }, number, RegExp][] = [
      ["malformed JSON", { type: "application/json", body: '{"metadata":' }, 400, /not valid JSON/],
      ["malformed YAML", { type: "application/yaml", body: "a: [1,\n" }, 400, /not valid YAML/],
      ["unknown media type", { type: "text/plain", body: "hello" }, 415, /unknown format/],
      ["namespace mismatch", { type: "application/json", body: '{"metadata":{"name":"x","namespace":"other"}}' }, 400, /does not match the namespace/],
      ["too large", { type: "application/json", body: JSON.stringify({ metadata: { name: "big" }, data: { k: "x".repeat(5000) } }) }, 413, /Request entity too large: limit is 4096/],
    ];
    for (const [name, o, status, message] of cases) {
      const r = await call("POST", "/api/v1/namespaces/default/configmaps", { token: "admin", ...o });
      assert.equal(r.status, status, `${name}: ${r.body}`);
      assert.match(JSON.parse(r.body).message, message, name);
    }
    // A chunked body (no Content-Length) is cut off at the limit as it streams in.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/api/v1/namespaces/default/configmaps`, {
        method: "POST", rejectUnauthorized: false, headers: { Authorization: "Bearer admin", "Content-Type": "application/json" },
      }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.write('{"metadata":{"name":"chunky"},"data":{"k":"');
      req.write("y".repeat(5000));
      req.end('"}}');
    });
    assert.equal(chunked, 413);
    // An unknown subresource is a 404 for every verb, decided before the body is read (kube's router),
    // even with a protobuf body the server could not decode.
    for (const [method, path, o] of [
      ["POST", "/api/v1/namespaces/default/serviceaccounts/default/bogus", { type: "application/vnd.kubernetes.protobuf", body: pb }],
      ["POST", "/api/v1/namespaces/default/configmaps/a/bogus", { type: "application/json", body: "{}" }],
      ["PUT", "/api/v1/namespaces/default/configmaps/a/status", { type: "application/json", body: "{}" }],
      ["GET", "/api/v1/namespaces/default/configmaps/a/bogus", {}],
    ] as const) {
      const r = await call(method, path, { token: "admin", ...o });
      assert.equal(r.status, 404, `${method} ${path}: ${r.body}`);
      assert.equal(JSON.parse(r.body).message, "the server could not find the requested resource");
    }
    // An apply must name its field manager (ValidatePatchOptions).
    const applyBody = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v2"}}';
    const noManager = await call("PATCH", "/api/v1/namespaces/default/configmaps/a", { token: "admin", type: "application/apply-patch+yaml", body: applyBody });
    assert.equal(noManager.status, 422, noManager.body);
    assert.equal(JSON.parse(noManager.body).message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    // the server keeps serving after the bad requests
    assert.equal((await call("GET", "/api/v1/namespaces/default/configmaps/a", { token: "admin" })).status, 200);
  });

  it("after a 413 on Content-Length it reads and discards the rest of the body, so the client can finish writing and reuse the connection", async () => {
    const { port } = new URL(server.url);
    const socket = tlsConnect({ host: "127.0.0.1", port: Number(port), rejectUnauthorized: false });
    await once(socket, "secureConnect");
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString()));
    const until = async (re: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !re.test(received); i++) await new Promise((r) => setTimeout(r, 10));
    };
    const body = "x".repeat(64 * 1024); // 16× the limit: more than the socket buffers hold at once
    socket.write(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: kpki\r\nAuthorization: Bearer admin\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    await until(/Request entity too large/); // answered on the declared length, before the body
    assert.match(received, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(received, /connection: close/i);
    // The client only now sends its body; a server that had closed would reset the connection here.
    const errors: Error[] = [];
    socket.on("error", (e) => errors.push(e));
    await new Promise<void>((r) => socket.write(body, () => r()));
    received = "";
    socket.write("GET /version HTTP/1.1\r\nHost: kpki\r\nAuthorization: Bearer admin\r\n\r\n");
    await until(/\r\n\r\n\{/);
    assert.deepEqual(errors, []);
    assert.match(received, /^HTTP\/1\.1 200 /, "the same connection serves the next request");
    socket.destroy();
  });

  it("answers a Table when the Accept asks for one", async () => {
    const accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    const t = JSON.parse((await call("GET", "/api/v1/namespaces/default/configmaps?limit=500", { token: "admin", accept })).body) as {
      kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string; metadata: { name: string } } }[];
    };
    assert.equal(t.kind, "Table");
    assert.deepEqual(t.columnDefinitions.map((c) => c.name).slice(0, 2), ["Name", "Data"]);
    assert.deepEqual(t.rows.map((r) => r.object.metadata.name), ["a", "b", "c"]);
    assert.equal(t.rows[0]?.object.kind, "PartialObjectMetadata");
  });

  it("streams watch events as NDJSON (Table rows when asked) and a 410 ERROR event for a compacted revision", async () => {
    // Compacted at the start: kube's cacher answers 200 and one ERROR event with the 410 Status
    // (newErrWatcher); kubectl -w prints it and exits 0, where a plain HTTP 410 made it fail (rc 1).
    const gone = await call("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1", { token: "admin" });
    assert.equal(gone.status, 200);
    const first = JSON.parse(gone.body.trim()) as { type: string; object: { code: number } };
    assert.deepEqual([first.type, first.object.code], ["ERROR", 410]);
    // Compacted later, mid-stream: an ERROR event carrying the 410 Status.
    const late = await call("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2", { token: "admin" });
    assert.equal(late.status, 200);
    const ev = JSON.parse(late.body.trim()) as { type: string; object: { code: number; reason: string } };
    assert.deepEqual([ev.type, ev.object.code, ev.object.reason], ["ERROR", 410, "Gone"]);
    const lines = await new Promise<string[]>((resolve, reject) => {
      const req = request(`${server.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=12&timeoutSeconds=5`, {
        headers: { Authorization: "Bearer admin", Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" },
        rejectUnauthorized: false,
      }, (res) => {
        let buf = "";
        res.on("data", (d: Buffer) => {
          buf += d.toString();
          if (buf.split("\n").length > 2) req.destroy();
        });
        res.on("close", () => resolve(buf.split("\n").filter((l) => l !== "")));
      });
      req.on("error", (e) => (e.message.includes("socket hang up") ? undefined : reject(e)));
      req.end();
      setTimeout(() => {
        const obj: ApiObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w", namespace: "default", resourceVersion: "99" } };
        configMaps.emit({ type: "ADDED", object: obj });
        configMaps.emit({ type: "DELETED", object: obj });
      }, 100);
    });
    const events = lines.map((l) => JSON.parse(l) as { type: string; object: { kind: string; rows: { cells: unknown[] }[]; columnDefinitions?: unknown } });
    assert.deepEqual(events.map((e) => [e.type, e.object.kind, e.object.rows[0]?.cells[0]]), [["ADDED", "Table", "w"], ["DELETED", "Table", "w"]]);
    assert.ok(events[0]?.object.columnDefinitions, "the first event carries the header");
  });
});
