// Privilege-escalation prevention for RBAC writes (reference §3.4): pkg/registry/rbac/escalation_check.go,
// validation/rule.go ConfirmNoEscalation and component-helpers/auth/rbac/validation/policy_comparator.go.
// A user may only write a role or binding granting rules it already holds, unless it is in system:masters
// or holds the `escalate` (roles) / `bind` (bindings) verb.
import type { ClusterRole, PolicyRule, RoleRef } from "../../api/index.ts";
import { RBAC_GROUP } from "../../api/index.ts";
import type { Authorizer, RuleResolver, UserInfo } from "../types.ts";
import { goQuote, goQuoteList } from "../format.ts";
import { reviewAsPolicyRules } from "./split.ts";

/** escalation_check.go EscalationAllowed: system:masters is the loopback/privileged group. */
export function isEscalationAllowed(user: UserInfo): boolean {
  return user.groups.includes("system:masters");
}

/** RoleEscalationAuthorized: verb `escalate` on the role being written. */
export async function canEscalate(
  authorizer: Authorizer,
  user: UserInfo,
  target: { readonly resource: "roles" | "clusterroles"; readonly namespace: string; readonly name: string },
): Promise<boolean> {
  const d = await authorizer.authorize({
    user, verb: "escalate", isResourceRequest: true, path: "", apiGroup: RBAC_GROUP, apiVersion: "*",
    resource: target.resource, subresource: "", namespace: target.namespace, name: target.name,
  });
  return d.verdict === "allow";
}

/** BindingAuthorized: verb `bind` on the referenced role, in the binding's namespace ("" for a CRB). */
export async function canBind(authorizer: Authorizer, user: UserInfo, roleRef: RoleRef, bindingNamespace: string): Promise<boolean> {
  const resource = roleRef.kind === "ClusterRole" ? "clusterroles" : roleRef.kind === "Role" ? "roles" : undefined;
  if (resource === undefined) return false;
  const d = await authorizer.authorize({
    user, verb: "bind", isResourceRequest: true, path: "", apiGroup: roleRef.apiGroup, apiVersion: "",
    resource, subresource: "", namespace: bindingNamespace, name: roleRef.name,
  });
  return d.verdict === "allow";
}

/** ConfirmNoEscalation: the Forbidden text when `requested` is not covered by the user's rules in `namespace`
 *  (cluster bindings, plus that namespace's bindings when non-empty), else undefined. */
export function confirmNoEscalation(
  resolver: RuleResolver,
  user: UserInfo,
  namespace: string,
  requested: readonly PolicyRule[],
): string | undefined {
  const review = resolver.rulesFor(user, namespace);
  const missing = uncoveredRules(reviewAsPolicyRules(review), requested);
  if (missing.length === 0) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${goQuote(user.name)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join("\n")}`;
  if (review.evaluationError) msg += `; resolution errors: [${review.evaluationError}]`;
  return msg;
}

/** clusterrole policybased storage: an aggregationRule (on the new or old object) needs full authority. */
export const AGGREGATION_RULE_FORBIDDEN = "must have cluster-admin privileges to use the aggregationRule";
const FULL_AUTHORITY: readonly PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];
export function hasAggregationRule(role: ClusterRole | undefined): boolean {
  return (role?.aggregationRule?.clusterRoleSelectors ?? []).length > 0;
}
/** The Forbidden text when a non-cluster-admin touches an aggregated ClusterRole, else undefined. */
export function confirmAggregationRuleAllowed(resolver: RuleResolver, user: UserInfo, next: ClusterRole, old?: ClusterRole): string | undefined {
  if (!hasAggregationRule(next) && !hasAggregationRule(old)) return undefined;
  return confirmNoEscalation(resolver, user, "", FULL_AUTHORITY) === undefined ? undefined : AGGREGATION_RULE_FORBIDDEN;
}

// ---- policy_comparator.go -----------------------------------------------------------------------

/** BreakdownRule: one atomic rule per group × resource × verb (× name), and per URL × verb. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        if (names.length === 0) out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        for (const n of names) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [n] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

/** Covers: the atomic pieces of `servant` that no owner rule covers (empty = covered). */
export function uncoveredRules(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): PolicyRule[] {
  return servant.flatMap(breakdownRule).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
}

function has(list: readonly string[] | undefined, v: string): boolean {
  return (list ?? []).includes(v);
}
function hasAll(set: readonly string[] | undefined, contains: readonly string[] | undefined): boolean {
  return (contains ?? []).every((c) => has(set, c));
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, "*") || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, "*") || hasAll(owner.apiGroups, sub.apiGroups);
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names = subNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbs && groups && resourcesCover(owner.resources, sub.resources) && names && urlsCover(owner.nonResourceURLs, sub.nonResourceURLs);
}

function resourcesCover(set: readonly string[] | undefined, covers: readonly string[] | undefined): boolean {
  if (has(set, "*") || hasAll(set, covers)) return true;
  return (covers ?? []).every((path) => {
    if (has(set, path)) return true;
    const slash = path.indexOf("/");
    return slash >= 0 && has(set, `*/${path.slice(slash + 1)}`);
  });
}

function urlsCover(set: readonly string[] | undefined, covers: readonly string[] | undefined): boolean {
  return (covers ?? []).every((path) =>
    (set ?? []).some((o) => o === path || (o.endsWith("*") && path.startsWith(o.replace(/\*+$/, "")))),
  );
}

/** CompactRules: simple rules (one group, one resource, ≤ 1 name, no URLs) for the same target merge their verbs. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule & { verbs: string[] }>();
  for (const r of rules) {
    const key = simpleKey(r);
    if (key === undefined) {
      compacted.push(r);
      continue;
    }
    const existing = simple.get(key);
    if (existing) existing.verbs.push(...r.verbs);
    else simple.set(key, { ...r, verbs: [...r.verbs] });
  }
  return [...compacted, ...simple.values()];
}

function simpleKey(r: PolicyRule): string | undefined {
  if ((r.resourceNames ?? []).length > 1 || (r.nonResourceURLs ?? []).length > 0) return undefined;
  if (r.apiGroups?.length !== 1 || r.resources?.length !== 1) return undefined;
  return JSON.stringify([r.apiGroups[0], r.resources[0], r.resourceNames?.[0] ?? null]);
}

/** rbacv1helpers.CompactString: `{APIGroups:["g"], Resources:["r"], NonResourceURLs:[…], ResourceNames:[…], Verbs:["v"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  const field = (label: string, v: readonly string[] | undefined): void => {
    if (v !== undefined && v.length > 0) parts.push(`${label}:${goQuoteList(v)}`);
  };
  field("APIGroups", r.apiGroups);
  field("Resources", r.resources);
  field("NonResourceURLs", r.nonResourceURLs);
  field("ResourceNames", r.resourceNames);
  field("Verbs", r.verbs);
  return `{${parts.join(", ")}}`;
}
