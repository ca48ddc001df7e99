// kube-controller-manager's clusterrole-aggregation controller (pkg/controller/clusterroleaggregation),
// run by the elected leader only: an informer on ClusterRoles (list, then watch from the list's
// revision) and, after every change, the aggregated roles (admin/edit/view…) rewritten to the union of
// the rules of the roles their clusterRoleSelectors pick. The rules come from auth's pure
// aggregateClusterRoles; writes are compare-and-swap (guaranteedUpdate) and skip unchanged roles.
import type { ClusterRole } from "../api/index.ts";
import { aggregateClusterRoles } from "../auth/index.ts";
import { abortableSleep as sleep, messageOf } from "../base/index.ts";
import { StorageError, type Store } from "../storage/index.ts";


/** Runs until `signal` aborts. */
export async function runClusterRoleAggregation(clusterRoles: Store, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  let roles = new Map<string, ClusterRole>();
  let pending = false;
  const aggregate = (): void => {
    if (pending || signal.aborted) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (signal.aborted) return; // leadership lost: no more writes
      for (const role of aggregateClusterRoles([...roles.values()])) {
        const name = role.metadata.name ?? "";
        clusterRoles
          .guaranteedUpdate("", name, (cur) => (JSON.stringify(cur["rules"]) === JSON.stringify(role.rules) ? undefined : { ...cur, rules: role.rules }))
          .catch((err: unknown) => log(`clusterrole aggregation of "${name}": ${messageOf(err)}`));
      }
    });
  };
  let rv = "";
  const relist = async (): Promise<void> => {
    const list = await clusterRoles.list();
    roles = new Map(list.items.map((r) => [r.metadata.name ?? "", r as ClusterRole]));
    rv = list.resourceVersion;
    aggregate();
  };
  while (!signal.aborted) {
    try {
      if (rv === "") await relist();
      for await (const ev of clusterRoles.watch({ resourceVersion: rv, signal })) {
        rv = ev.object.metadata.resourceVersion ?? rv;
        const name = ev.object.metadata.name ?? "";
        if (ev.type === "ADDED" || ev.type === "MODIFIED") roles.set(name, ev.object as ClusterRole);
        else if (ev.type === "DELETED") roles.delete(name);
        else continue;
        aggregate();
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof StorageError && err.code === "compacted")) log(`clusterrole aggregation: ${messageOf(err)}`);
      rv = ""; // relist: a compacted or broken watch may have missed deletions
    }
    // A watch that ended without an abort is retried, never in a tight loop (reflector back-off).
    await sleep(500, signal);
  }
}
