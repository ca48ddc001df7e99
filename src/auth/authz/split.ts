// rbac.go RulesFor: each PolicyRule becomes a resource rule (if it names resources) and/or a
// non-resource rule (if it names URLs); binding order kept, nothing de-duplicated (reference §7.3).
import type { PolicyRule } from "../../api/index.ts";
import type { NonResourceRule, ResourceRule, RulesReview } from "../types.ts";

export function splitRules(rules: readonly PolicyRule[]): Pick<RulesReview, "resourceRules" | "nonResourceRules"> {
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  for (const r of rules) {
    if ((r.resources ?? []).length > 0) {
      resourceRules.push({
        verbs: r.verbs,
        ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}),
        resources: r.resources,
        ...(r.resourceNames && r.resourceNames.length > 0 ? { resourceNames: r.resourceNames } : {}),
      });
    }
    if ((r.nonResourceURLs ?? []).length > 0) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
  }
  return { resourceRules, nonResourceRules };
}

/** The rules of a review as PolicyRules again (escalation checks compare PolicyRules). */
export function reviewAsPolicyRules(review: RulesReview): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const r of review.resourceRules) {
    out.push({
      verbs: [...r.verbs],
      apiGroups: [...(r.apiGroups ?? [])],
      resources: [...(r.resources ?? [])],
      ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
    });
  }
  for (const r of review.nonResourceRules) out.push({ verbs: [...r.verbs], nonResourceURLs: [...(r.nonResourceURLs ?? [])] });
  return out;
}
