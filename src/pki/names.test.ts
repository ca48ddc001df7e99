import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { equalBytes } from "../base/index.ts";
import { parseCsrPem } from "./csr.ts";
import { PkiError } from "./errors.ts";
import { commonName, decodeDnDer, encodeDn, formatDn, organizations, parseDn, sansFromHosts } from "./names.ts";

test("parseDn: openssl and RFC 4514 syntaxes, certificate order", () => {
  const cases: [string, string, string][] = [
    ["/CN=minjun/O=dev-team", "CN = minjun, O = dev-team", "O=dev-team,CN=minjun"],
    ["/CN=minjun/O=a/O=b", "CN = minjun, O = a, O = b", "O=b,O=a,CN=minjun"],
    ["CN=minjun,O=dev-team", "O = dev-team, CN = minjun", "CN=minjun,O=dev-team"],
    ["/C=KR/ST=Seoul/L=Gangnam/O=kpki/OU=eng/CN=x", "C = KR, ST = Seoul, L = Gangnam, O = kpki, OU = eng, CN = x", "CN=x,OU=eng,O=kpki,L=Gangnam,ST=Seoul,C=KR"],
    ["/CN=system:node:worker-1/O=system:nodes", "CN = system:node:worker-1, O = system:nodes", "O=system:nodes,CN=system:node:worker-1"],
    ["CN=a\\,b,O=x", "O = x, CN = a\\,b", "CN=a\\,b,O=x"],
    ["commonName=x, organizationName=y", "O = y, CN = x", "CN=x,O=y"],
    ["/CN=한국어/emailAddress=a@b.c", "CN = 한국어, emailAddress = a@b.c", "emailAddress=a@b.c,CN=한국어"],
    ["", "", ""],
  ];
  for (const [input, openssl, rfc] of cases) {
    const dn = parseDn(input);
    assert.equal(formatDn(dn), openssl, input);
    assert.equal(formatDn(dn, "rfc4514"), rfc, input);
    assert.deepEqual(parseDn(formatDn(dn, "rfc4514")), dn, `${input} round trip`);
    assert.deepEqual(decodeDnDer(encodeDn(dn)), dn, `${input} DER round trip`);
  }
  const dn = parseDn("/CN=minjun/O=a/O=b");
  assert.equal(commonName(dn), "minjun");
  assert.deepEqual(organizations(dn), ["a", "b"]);
  for (const bad of ["/CN", "CN=x,bogus=y", "/C=K\u00d6"]) {
    assert.throws(() => encodeDn(parseDn(bad)), (e: unknown) => e instanceof PkiError && e.code === "bad-name", bad);
  }
});

test("encodeDn matches openssl -subj byte for byte (UTF8String, C as PrintableString)", () => {
  for (const subj of ["/CN=minjun/O=a/O=b", "/C=US/ST=CA/O=kpki/CN=kube-apiserver", "/CN=é/OU=x y"]) {
    const r = spawnSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null", "-subj", subj, "-utf8"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const csr = parseCsrPem(r.stdout);
    assert.deepEqual(csr.subject, parseDn(subj));
    assert.ok(equalBytes(encodeDn(csr.subject), encodeDn(parseDn(subj))));
  }
});

test("sansFromHosts sorts cfssl hosts into DNS / IP / email / URI", () => {
  const s = sansFromHosts(["kubernetes.default", "10.96.0.1", "::1", "admin@example.com", "spiffe://cluster.local/ns/x", " "]);
  assert.deepEqual(s, { dns: ["kubernetes.default"], ip: ["10.96.0.1", "::1"], email: ["admin@example.com"], uri: ["spiffe://cluster.local/ns/x"] });
});

test("sansFromHosts: an IP only by Go's net.ParseIP, as cfssl decides (leading zeros, brackets, zones are DNS names)", () => {
  const s = sansFromHosts(["010.0.0.5", "10.0.0.5", "[::1]", "fe80::1%eth0", "::ffff:10.0.0.6", "2001:DB8::1"]);
  assert.deepEqual(s.ip, ["10.0.0.5", "10.0.0.6", "2001:db8::1"]);
  assert.deepEqual(s.dns, ["010.0.0.5", "[::1]", "fe80::1%eth0"]);
});
