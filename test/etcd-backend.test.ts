// The storage conformance suites, unchanged, against a real etcd (Debian's etcd-server 3.4 with
// client TLS and client-cert-auth): the backend straight on etcd and behind the watch cache.
import { after } from "node:test";
import { runBackendConformance, runStoreConformance } from "../src/storage/conformance.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import type { EtcdBackendOptions } from "../src/storage/etcd/index.ts";
import { startEtcd } from "./helpers/etcd.ts";

const cluster = await startEtcd({ members: 1 });
after(() => cluster.stop());
const options: EtcdBackendOptions = { endpoints: cluster.endpoints, caPem: cluster.caPem, certPem: cluster.certPem, keyPem: cluster.keyPem };

runBackendConformance("etcd", () => openEtcdBackend({ ...options, cache: false }));
runBackendConformance("etcd + watch cache", () => openEtcdBackend({ ...options, cache: true }));
runStoreConformance("etcd", () => openEtcdBackend({ ...options, cache: false }));
runStoreConformance("etcd + watch cache", () => openEtcdBackend({ ...options, cache: true }));
