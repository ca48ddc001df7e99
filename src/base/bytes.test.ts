import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePem, encodePem, toBase64 } from "./bytes.ts";

test("encodePem: RFC 7468 lines of 64 characters, the last one shorter, and it decodes back", () => {
  for (const size of [1, 47, 48, 49, 96, 600]) {
    const der = Uint8Array.from({ length: size }, (_, i) => (i * 37) & 0xff);
    const pem = encodePem("CERTIFICATE", der);
    const lines = pem.split("\n");
    assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
    assert.deepEqual(lines.slice(-2), ["-----END CERTIFICATE-----", ""]);
    const body = lines.slice(1, -2);
    assert.ok(body.slice(0, -1).every((l) => l.length === 64), `size ${size}`);
    assert.ok(body.at(-1)!.length > 0 && body.at(-1)!.length <= 64);
    assert.equal(body.join(""), toBase64(der));
    assert.deepEqual(decodePem(pem)[0]?.der, der);
  }
});
