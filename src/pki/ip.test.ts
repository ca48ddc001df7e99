import { test } from "node:test";
import assert from "node:assert/strict";
import * as base from "../base/index.ts";
import { PkiError } from "./errors.ts";
import { cidrContains, formatCidr, formatIp, parseAddr, parseCidr, parseIp, tryParseIp } from "./ip.ts";

// The parser itself is tested in base/ip.test.ts; here: pki's names are base's, and parseIp's error is pki's.
test("pki/ip.ts re-exports base/ip.ts; parseIp throws PkiError bad-name", () => {
  assert.deepEqual([cidrContains, formatCidr, formatIp, parseAddr, parseCidr, tryParseIp], [base.cidrContains, base.formatCidr, base.formatIp, base.parseAddr, base.parseCidr, base.tryParseIp]);
  assert.deepEqual(parseIp("::ffff:10.0.0.1"), Uint8Array.from([10, 0, 0, 1]));
  for (const bad of ["010.0.0.1", "fe80::1%eth0", "host.example"]) {
    assert.throws(() => parseIp(bad), (e: unknown) => e instanceof PkiError && e.code === "bad-name" && e.message === `"${bad}" is not an IP address`, bad);
  }
});
