// A second cluster entry named like the current context, for admin.conf and super-admin.conf.
// Why: seed 001 runs, verbatim, `kubectl config set-context minjun-context --cluster=$(kubectl config
// current-context | cut -d/ -f2) --user=minjun`. That `cut -d/ -f2` assumes "user/cluster" context
// names (OpenShift's style); kubeadm's are "<user>@<cluster>" (no "/"), so `cut` returns the WHOLE
// context name ("kubernetes-admin@kubernetes") and kubectl would then look for a cluster of that name.
// Writing the same cluster (server + CA) under that name too makes the seed's line work unchanged.
import { parseDocument, isMap, isSeq, type YAMLMap } from "yaml";

function str(node: unknown, key: string): string | undefined {
  if (!isMap(node)) return undefined;
  const v = node.get(key);
  return typeof v === "string" ? v : undefined;
}

/** The kubeconfig text with a cluster entry named exactly like current-context (a copy of the
 *  current context's cluster) when that name is not a cluster yet; otherwise the text unchanged. */
export function addContextClusterAlias(text: string): string {
  const doc = parseDocument(text);
  const current = doc.get("current-context");
  const clusters = doc.get("clusters");
  const contexts = doc.get("contexts");
  if (typeof current !== "string" || current === "" || !isSeq(clusters) || !isSeq(contexts)) return text;
  const ctx = contexts.items.find((c) => str(c, "name") === current);
  const clusterName = isMap(ctx) ? str(ctx.get("context"), "cluster") : undefined;
  if (clusterName === undefined || clusterName === current) return text;
  if (clusters.items.some((c) => str(c, "name") === current)) return text;
  const source = clusters.items.find((c) => str(c, "name") === clusterName);
  if (!isMap(source)) return text;
  const copy = (source as YAMLMap).clone() as YAMLMap;
  copy.set("name", current);
  clusters.items.push(copy);
  return doc.toString({ lineWidth: 0 });
}
