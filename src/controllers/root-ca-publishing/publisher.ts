// The root-ca-cert-publisher controller (pkg/controller/certificates/rootcacertpublisher; reference
// §10): ConfigMap kube-root-ca.crt with key ca.crt in every namespace, recreated when deleted and
// reverted when edited; a CA change reaches every namespace on the next resync.
import type { ApiObject } from "../../api/index.ts";
import { whenAborted } from "../../base/index.ts";
import type { Store } from "../../storage/index.ts";
import { silentLogger } from "../errors.ts";
import type { Logger } from "../errors.ts";
import { feedQueue } from "../loop.ts";
import { WorkQueue, timerSchedule } from "../queue.ts";
import type { Schedule } from "../queue.ts";

export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
export const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
export const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

export interface PublisherOptions {
  readonly namespaces: Store<ApiObject>;
  readonly configMaps: Store<ApiObject>;
  /** The current root CA bundle (PEM); read at every sync so a CA change is picked up. */
  readonly rootCaPem: () => string;
  readonly logger?: Logger;
  /** Re-sync every namespace this often (default 60 s) so CA changes propagate. */
  readonly resyncMs?: number;
  readonly schedule?: Schedule;
}

function isCurrent(cm: ApiObject, pem: string): boolean {
  const data = cm["data"] as Record<string, unknown> | undefined;
  const keys = Object.keys(data ?? {});
  return keys.length === 1 && data?.["ca.crt"] === pem && (cm.metadata.annotations?.[DESCRIPTION_ANNOTATION] ?? "") !== "";
}

/** syncNamespace: create, no-op or update. Returns what it did. */
export async function syncNamespace(o: PublisherOptions, namespace: string): Promise<"created" | "updated" | "unchanged" | "skipped"> {
  const ns = await o.namespaces.get("", namespace);
  if (ns === undefined || (ns["status"] as { phase?: string } | undefined)?.phase === "Terminating") return "skipped";
  const pem = o.rootCaPem();
  const cm = await o.configMaps.get(namespace, ROOT_CA_CONFIGMAP);
  if (cm === undefined) {
    // A racing creator makes this throw "exists"; the queue retries and then sees the object.
    await o.configMaps.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
      data: { "ca.crt": pem },
    });
    return "created";
  }
  if (isCurrent(cm, pem)) return "unchanged";
  // Replace data wholesale; keep other labels and annotations.
  const annotations = { ...(cm.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION };
  await o.configMaps.update({ ...cm, metadata: { ...cm.metadata, annotations }, data: { "ca.crt": pem } });
  return "updated";
}

async function resyncLoop(o: PublisherOptions, queue: WorkQueue, signal: AbortSignal): Promise<void> {
  const schedule = o.schedule ?? timerSchedule;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const cancel = schedule(resolve, o.resyncMs ?? 60_000);
      whenAborted(signal, () => (cancel(), resolve())); // also when it came during the list below
    });
    if (signal.aborted) return;
    const list = await o.namespaces.list().catch(() => undefined);
    for (const ns of list?.items ?? []) queue.add(ns.metadata.name ?? "");
  }
}

/** Run the publisher until `signal` aborts: namespace events, kube-root-ca.crt edits/deletes, resync. */
export async function runPublisher(o: PublisherOptions, signal: AbortSignal): Promise<void> {
  const logger = o.logger ?? silentLogger;
  const queue = new WorkQueue({ ...(o.schedule ? { schedule: o.schedule } : {}) });
  const name = "root_ca_cert_publisher";
  await Promise.all([
    queue.run(async (ns) => void (await syncNamespace(o, ns)), signal, { logger, name }),
    feedQueue({ store: o.namespaces, queue, logger, name, ...(o.schedule ? { schedule: o.schedule } : {}) }, signal),
    feedQueue(
      {
        store: o.configMaps,
        queue,
        logger,
        name,
        keys: (_t, cm) => (cm.metadata.name === ROOT_CA_CONFIGMAP ? [cm.metadata.namespace ?? ""] : []),
        ...(o.schedule ? { schedule: o.schedule } : {}),
      },
      signal,
    ),
    resyncLoop(o, queue, signal),
  ]);
}
