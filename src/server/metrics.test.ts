import { test } from "node:test";
import assert from "node:assert/strict";
import { createServerMetrics } from "./metrics.ts";

test("renders request counters, a cumulative latency histogram and the certificate histogram", async () => {
  const m = createServerMetrics();
  const cases: [string, string, number, number][] = [
    ["list", "pods", 200, 3],
    ["list", "pods", 200, 30],
    ["get", "pods", 404, 1],
    ["get", "", 200, 70_000],
  ];
  for (const [verb, resource, code, ms] of cases) m.record(verb, resource, code, ms);
  m.observeCertificateExpiry(86_400 * 2);
  const { body, contentType } = await m.handler(new URLSearchParams());
  assert.match(contentType, /^text\/plain/);
  const want = [
    'apiserver_request_total{code="200",resource="pods",verb="LIST"} 2',
    'apiserver_request_total{code="404",resource="pods",verb="GET"} 1',
    'apiserver_request_duration_seconds_bucket{resource="pods",verb="LIST",le="0.005"} 1',
    'apiserver_request_duration_seconds_bucket{resource="pods",verb="LIST",le="0.025"} 1',
    'apiserver_request_duration_seconds_bucket{resource="pods",verb="LIST",le="0.05"} 2',
    'apiserver_request_duration_seconds_bucket{resource="pods",verb="LIST",le="+Inf"} 2',
    'apiserver_request_duration_seconds_count{resource="pods",verb="LIST"} 2',
    'apiserver_request_duration_seconds_bucket{resource="",verb="GET",le="60"} 0',
    'apiserver_request_duration_seconds_bucket{resource="",verb="GET",le="+Inf"} 1',
    'apiserver_client_certificate_expiration_seconds_bucket{le="172800"} 1',
    'apiserver_client_certificate_expiration_seconds_bucket{le="86400"} 0',
  ];
  const lines = new Set(body.split("\n"));
  for (const w of want) assert.ok(lines.has(w), `missing: ${w}\n${body}`);
  assert.match(body, /^apiserver_request_duration_seconds_sum\{resource="pods",verb="LIST"\} 0\.033$/m);
});
