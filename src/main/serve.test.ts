import { test } from "node:test";
import assert from "node:assert/strict";
import { CliError } from "../cli/index.ts";
import { serveOptions } from "./serve.ts";

test("serve options: defaults, --listen forms and usage errors", () => {
  const d = serveOptions({ "data-dir": "/d" });
  assert.deepEqual([d.host, d.port, d.storage, d.anonymousAuth], ["127.0.0.1", 6443, "sqlite", true]);
  assert.deepEqual([serveOptions({ "data-dir": "/d", listen: "[::1]:7443" }).host, serveOptions({ "data-dir": "/d", listen: "[::1]:7443" }).port], ["::1", 7443]);
  assert.equal(serveOptions({ "data-dir": "/d", "anonymous-auth": "false" }).anonymousAuth, false);
  const etcd = serveOptions({ "data-dir": "/d", storage: "etcd", "etcd-servers": "https://a:2379, https://b:2379", "etcd-prefix": "/x" });
  assert.deepEqual([etcd.etcd?.servers, etcd.etcd?.prefix, etcd.etcd?.caFile], [["https://a:2379", "https://b:2379"], "/x", undefined]);
  const bad: [Record<string, string>, RegExp][] = [
    [{}, /--data-dir is required/],
    [{ "data-dir": "/d", listen: "6443" }, /--listen must be HOST:PORT/],
    [{ "data-dir": "/d", listen: "h:99999" }, /--listen must be HOST:PORT/],
    [{ "data-dir": "/d", storage: "etcd3" }, /--storage must be sqlite, memory or etcd/],
    [{ "data-dir": "/d", storage: "etcd" }, /needs --etcd-servers/],
    [{ "data-dir": "/d", "anonymous-auth": "yes" }, /must be true or false/],
    [{ "data-dir": "/d", "client-ca-file": "ca.crt" }, /go together/],
  ];
  for (const [values, message] of bad) {
    assert.throws(() => serveOptions(values), (e: unknown) => e instanceof CliError && e.code === "usage" && message.test(e.message), JSON.stringify(values));
  }
});

test("serve options: --service-cluster-ip-range", () => {
  assert.equal(serveOptions({ "data-dir": "/d" }).serviceIpRange?.cidr, "10.96.0.0/12");
  assert.equal(serveOptions({ "data-dir": "/d", "service-cluster-ip-range": "10.32.0.0/24" }).serviceIpRange?.cidr, "10.32.0.0/24");
  assert.equal(serveOptions({ "data-dir": "/d", "service-cluster-ip-range": "10.32.0.9/24" }).serviceIpRange?.cidr, "10.32.0.0/24");
  assert.equal(serveOptions({ "data-dir": "/d", "service-cluster-ip-range": "fd00:10:96::/112" }).serviceIpRange?.cidr, "fd00:10:96::/112");
  const dual = serveOptions({ "data-dir": "/d", "service-cluster-ip-range": "10.96.0.0/12,fd00:10:96::/112" }).serviceIpRange;
  assert.deepEqual(dual?.cidrs.map((c) => [c.cidr, c.family]), [["10.96.0.0/12", "IPv4"], ["fd00:10:96::/112", "IPv6"]]);
  const bad: [string, string][] = [
    ["x", 'serve: --service-cluster-ip-range "x" is not a valid CIDR'],
    ["10.32.0.0", 'serve: --service-cluster-ip-range "10.32.0.0" is not a valid CIDR'],
    ["fd00::/64", 'serve: --service-cluster-ip-range "fd00::/64" is too large; for 128-bit addresses, the mask must be >= 108'],
    ["10.96.0.0/12,10.100.0.0/16", 'serve: --service-cluster-ip-range "10.96.0.0/12,10.100.0.0/16" is invalid: [0] and [1] must be of different IP family'],
    ["10.0.0.0/8", 'serve: --service-cluster-ip-range "10.0.0.0/8" is too large; for 32-bit addresses, the mask must be >= 12'],
    ["10.0.0.0/31", 'serve: --service-cluster-ip-range "10.0.0.0/31" is too small; the mask must be <= 30 to leave room for Services'],
  ];
  for (const [range, message] of bad) {
    assert.throws(() => serveOptions({ "data-dir": "/d", "service-cluster-ip-range": range }), (e: unknown) => e instanceof CliError && e.code === "usage" && e.message === message, range);
  }
});
