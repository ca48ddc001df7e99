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
