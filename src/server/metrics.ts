// /metrics in Prometheus text format, with kube-apiserver's metric names:
// apiserver_request_total{verb,resource,code}, apiserver_request_duration_seconds{verb,resource} and
// apiserver_client_certificate_expiration_seconds. The request path must stay lean: prom-client's
// labelled inc()/observe() cost ≈ 0.3 + 0.4 µs a call (they hash the label set every time), so the two
// per-request metrics are plain counters in a Map, rendered at scrape time (≈ 0.05 µs a request);
// prom-client keeps the certificate histogram, fed only on an authentication cache miss.
import { Histogram, Registry } from "prom-client";
import type { ExtraPathHandler } from "./extra-paths.ts";

export const METRICS_PATH = "/metrics";

// kube-apiserver's buckets (staging/src/k8s.io/apiserver/pkg/endpoints/metrics/metrics.go).
const DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
// k8s.io/apiserver/pkg/authentication/request/x509: 0 s … 1 year.
const EXPIRY_BUCKETS = [0, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800, 2592000, 7776000, 15552000, 31104000];

export interface ServerMetrics {
  /** One finished request: its Kubernetes verb, served resource ("" for none), HTTP code, elapsed ms. */
  record(verb: string, resource: string, code: number, elapsedMs: number): void;
  /** Seconds until the presented client certificate expires (x509 authentication). */
  observeCertificateExpiry(seconds: number): void;
  readonly handler: ExtraPathHandler;
}

interface Series {
  readonly labels: string;
  count: number;
}
interface Latency {
  readonly labels: string;
  readonly buckets: Float64Array; // non-cumulative counts per bucket; rendered cumulatively
  sum: number;
  count: number;
}

const esc = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function renderRequests(total: Iterable<Series>, latency: Iterable<Latency>): string {
  const out = [
    "# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, API resource and HTTP response code.",
    "# TYPE apiserver_request_total counter",
  ];
  for (const s of total) out.push(`apiserver_request_total{${s.labels}} ${s.count}`);
  out.push("# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb and resource.");
  out.push("# TYPE apiserver_request_duration_seconds histogram");
  for (const l of latency) {
    let cumulative = 0;
    DURATION_BUCKETS.forEach((le, i) => {
      cumulative += l.buckets[i] ?? 0;
      out.push(`apiserver_request_duration_seconds_bucket{${l.labels},le="${le}"} ${cumulative}`);
    });
    out.push(`apiserver_request_duration_seconds_bucket{${l.labels},le="+Inf"} ${l.count}`);
    out.push(`apiserver_request_duration_seconds_sum{${l.labels}} ${l.sum}`);
    out.push(`apiserver_request_duration_seconds_count{${l.labels}} ${l.count}`);
  }
  return out.join("\n") + "\n";
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  const expiry = new Histogram({
    name: "apiserver_client_certificate_expiration_seconds",
    help: "Distribution of the remaining lifetime on the certificate used to authenticate a request.",
    buckets: EXPIRY_BUCKETS,
    registers: [registry],
  });
  const total = new Map<string, Series>();
  const latency = new Map<string, Latency>();
  return {
    record(verb, resource, code, elapsedMs) {
      const lk = `${verb} ${resource}`;
      let l = latency.get(lk);
      if (l === undefined) {
        // kube reports verbs upper-case (GET, LIST, WATCH, POST for non-resource …).
        l = { labels: `resource="${esc(resource)}",verb="${esc(verb.toUpperCase())}"`, buckets: new Float64Array(DURATION_BUCKETS.length), sum: 0, count: 0 };
        latency.set(lk, l);
      }
      const tk = `${lk} ${code}`;
      let t = total.get(tk);
      if (t === undefined) {
        t = { labels: `code="${code}",${l.labels}`, count: 0 };
        total.set(tk, t);
      }
      t.count++;
      const seconds = elapsedMs / 1000;
      let i = 0;
      while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] ?? Infinity)) i++;
      if (i < DURATION_BUCKETS.length) l.buckets[i] = (l.buckets[i] ?? 0) + 1;
      l.sum += seconds;
      l.count++;
    },
    observeCertificateExpiry: (seconds) => expiry.observe(seconds),
    handler: async () => ({ contentType: registry.contentType, body: renderRequests(total.values(), latency.values()) + (await registry.metrics()) }),
  };
}
