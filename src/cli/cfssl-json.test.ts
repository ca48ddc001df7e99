import { test } from "node:test";
import assert from "node:assert/strict";
import { goJson } from "./cfssl-json.ts";
import { goUrl } from "./cfssl-csr-info.ts";

test("goJson: big.Int as a bare number of any length; HTML-safe escapes as Go's encoding/json", () => {
  const n = 2n ** 300n + 7n;
  assert.equal(goJson({ N: n, E: 65537, s: "<a&b>\u2028" }), `{"N":${n.toString()},"E":65537,"s":"\\u003ca\\u0026b\\u003e\\u2028"}`);
  assert.equal(goJson({ a: [1n, "1"] }, 2), '{\n  "a": [\n    1,\n    "1"\n  ]\n}');
});

// Expected values read from Debian's cfssl 1.2 (Go 1.19) `certinfo -csr` on CSRs with these URI SANs.
const URLS: [string, Record<string, unknown>][] = [
  ["spiffe://td/ns/a", { Scheme: "spiffe", Host: "td", Path: "/ns/a" }],
  ["https://u:p@h.io:8443/p/a%20th?q=1", { Scheme: "https", User: {}, Host: "h.io:8443", Path: "/p/a th", RawQuery: "q=1" }],
  ["urn:x:y", { Scheme: "urn", Opaque: "x:y" }],
  ["http://h/a!b?", { Scheme: "http", Host: "h", Path: "/a!b", RawPath: "/a!b", ForceQuery: true }],
  ["http://h/%7Ex", { Scheme: "http", Host: "h", Path: "/~x", RawPath: "/%7Ex" }],
  ["http://h/p#fr%20ag", { Scheme: "http", Host: "h", Path: "/p", Fragment: "fr ag" }],
];
for (const [raw, want] of URLS) {
  test(`goUrl ${raw}`, () => {
    const base = { Scheme: "", Opaque: "", User: null, Host: "", Path: "", RawPath: "", OmitHost: false, ForceQuery: false, RawQuery: "", Fragment: "", RawFragment: "" };
    assert.deepEqual(goUrl(raw), { ...base, ...want });
  });
}
