// ClusterRole aggregation as a pure function (pkg/controller/clusterroleaggregation): an aggregated role's
// rules = the union of the rules of every other ClusterRole matching any of its clusterRoleSelectors,
// selectors in order, matching roles sorted by name, rules de-duplicated. Iterated to a fixed point so
// chains (view → edit → admin) settle in one call.
import type { ClusterRole, PolicyRule, RbacLabelSelector } from "../../api/index.ts";

/** The ClusterRoles whose `rules` must change, with their new rules (empty when nothing changes). */
export function aggregateClusterRoles(all: readonly ClusterRole[]): ClusterRole[] {
  const current = new Map<string, ClusterRole>();
  for (const r of all) current.set(r.metadata.name ?? "", r);
  const sorted = [...current.values()].sort((a, b) => cmp(a.metadata.name ?? "", b.metadata.name ?? ""));
  const changed = new Set<string>();
  // Each pass can only lengthen aggregation chains by one; a bound keeps cyclic selectors finite.
  for (let pass = 0; pass <= sorted.length; pass++) {
    let progressed = false;
    for (const role of sorted) {
      const name = role.metadata.name ?? "";
      const latest = current.get(name) ?? role;
      const selectors = latest.aggregationRule?.clusterRoleSelectors ?? [];
      if (selectors.length === 0) continue;
      const rules = aggregatedRules(name, selectors, sorted.map((r) => current.get(r.metadata.name ?? "") ?? r));
      if (sameRules(latest.rules ?? [], rules)) continue;
      current.set(name, { ...latest, rules });
      changed.add(name);
      progressed = true;
    }
    if (!progressed) break;
  }
  return sorted.filter((r) => changed.has(r.metadata.name ?? "")).map((r) => current.get(r.metadata.name ?? "") ?? r);
}

function aggregatedRules(self: string, selectors: readonly RbacLabelSelector[], roles: readonly ClusterRole[]): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const selector of selectors) {
    for (const role of roles) {
      if (role.metadata.name === self || !selectorMatches(selector, role.metadata.labels ?? {})) continue;
      for (const rule of role.rules ?? []) {
        const key = ruleKey(rule);
        if (seen.has(key)) continue;
        seen.add(key);
        rules.push(rule);
      }
    }
  }
  return rules;
}

/** metav1.LabelSelectorAsSelector semantics: all matchLabels and all expressions; `{}` matches everything;
 *  an unknown operator makes the selector invalid, which matches nothing. */
export function selectorMatches(selector: RbacLabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (value === undefined) return false;
        break;
      case "DoesNotExist":
        if (value !== undefined) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function ruleKey(r: PolicyRule): string {
  return JSON.stringify([r.verbs, r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []]);
}

function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  return a.length === b.length && a.every((r, i) => ruleKey(r) === ruleKey(b[i] ?? { verbs: [] }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
