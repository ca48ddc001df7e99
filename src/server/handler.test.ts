// /healthz, /livez, /readyz bodies as kube-apiserver writes them (healthz.go handleRootHealth).
import { test } from "node:test";
import assert from "node:assert/strict";
import { healthResponse } from "./handler.ts";

const ok = (name: string) => ({ name, check: async () => undefined });
const bad = (name: string) => ({
  name,
  check: async () => {
    throw new Error("etcd https://127.0.0.1:2379 did not answer in 2000 ms");
  },
});

const CASES: { name: string; root: string; query: string; checks: ReturnType<typeof ok>[]; status: number; body: string }[] = [
  { name: "all ok, terse", root: "/readyz", query: "", checks: [ok("ping"), ok("etcd"), ok("shutdown")], status: 200, body: "ok" },
  {
    name: "all ok, verbose",
    root: "/readyz",
    query: "verbose",
    checks: [ok("ping"), ok("etcd"), ok("etcd-readiness"), ok("shutdown")],
    status: 200,
    body: "[+]ping ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]shutdown ok\nreadyz check passed\n",
  },
  {
    name: "a failure is always verbose, withholds the reason, 500",
    root: "/readyz",
    query: "",
    checks: [ok("ping"), bad("etcd"), bad("etcd-readiness"), ok("shutdown")],
    status: 500,
    body: "[+]ping ok\n[-]etcd failed: reason withheld\n[-]etcd-readiness failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n",
  },
  {
    name: "exclude skips a failing check",
    root: "/healthz",
    query: "exclude=etcd&verbose",
    checks: [ok("ping"), bad("etcd")],
    status: 200,
    body: "[+]ping ok\n[+]etcd excluded: ok\nhealthz check passed\n",
  },
  {
    name: "excluding an unknown check warns",
    root: "/livez",
    query: "exclude=nope&verbose",
    checks: [ok("ping")],
    status: 200,
    body: '[+]ping ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nlivez check passed\n',
  },
];

for (const c of CASES) {
  test(`healthResponse: ${c.name}`, async () => {
    const r = await healthResponse(c.root, new URLSearchParams(c.query), c.checks);
    assert.deepEqual(r, { status: c.status, body: c.body });
    assert.doesNotMatch(r.body, /did not answer/, "the reason never reaches the public body");
  });
}
