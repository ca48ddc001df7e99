// The serviceaccounts controller (kube-controller-manager's "serviceaccount-controller",
// pkg/controller/serviceaccount/serviceaccounts_controller.go): every active namespace has a
// ServiceAccount named "default". Namespace events and deletions of a "default" ServiceAccount queue
// the namespace; syncing creates the account when it is missing and never touches an existing one.
import type { ApiObject } from "../../api/index.ts";
import { StorageError, type Store } from "../../storage/index.ts";
import { silentLogger } from "../errors.ts";
import type { Logger } from "../errors.ts";
import { feedQueue } from "../loop.ts";
import { WorkQueue } from "../queue.ts";
import type { Schedule } from "../queue.ts";

/** kube's --service-account-names default. */
export const DEFAULT_SERVICE_ACCOUNT = "default";

export interface ServiceAccountsOptions {
  readonly namespaces: Store<ApiObject>;
  readonly serviceAccounts: Store<ApiObject>;
  readonly logger?: Logger;
  readonly schedule?: Schedule;
}

/** Create the namespace's default ServiceAccount if it is missing. Idempotent. */
export async function ensureDefaultServiceAccount(o: ServiceAccountsOptions, namespace: string): Promise<"created" | "exists" | "skipped"> {
  const ns = await o.namespaces.get("", namespace);
  // Like kube: nothing is created in a namespace that is gone or being deleted.
  if (ns === undefined || (ns["status"] as { phase?: string } | undefined)?.phase === "Terminating") return "skipped";
  if ((await o.serviceAccounts.get(namespace, DEFAULT_SERVICE_ACCOUNT)) !== undefined) return "exists";
  try {
    await o.serviceAccounts.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } });
    return "created";
  } catch (err) {
    if (err instanceof StorageError && err.code === "exists") return "exists"; // a racing creator won
    throw err;
  }
}

/** Run until `signal` aborts: every namespace (existing ones via the watch's initial events) and every
 *  deleted default ServiceAccount is synced. */
export async function runServiceAccountsController(o: ServiceAccountsOptions, signal: AbortSignal): Promise<void> {
  const logger = o.logger ?? silentLogger;
  const queue = new WorkQueue({ ...(o.schedule ? { schedule: o.schedule } : {}) });
  const name = "serviceaccount_controller";
  const schedule = o.schedule ? { schedule: o.schedule } : {};
  await Promise.all([
    queue.run(async (ns) => void (await ensureDefaultServiceAccount(o, ns)), signal, { logger, name }),
    feedQueue({ store: o.namespaces, queue, logger, name, keys: (t, ns) => (t === "DELETED" ? [] : [ns.metadata.name ?? ""]), ...schedule }, signal),
    feedQueue(
      {
        store: o.serviceAccounts,
        queue,
        logger,
        name,
        keys: (t, sa) => (t === "DELETED" && sa.metadata.name === DEFAULT_SERVICE_ACCOUNT ? [sa.metadata.namespace ?? ""] : []),
        ...schedule,
      },
      signal,
    ),
  ]);
}
