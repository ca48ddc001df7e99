// Small authorizers joined by a union (apiserver authorizerfactory/builtin.go, authorization/union).
import type { Authorizer, Decision, RequestAttributes, RuleResolver, RulesReview, UserInfo } from "../types.ts";
import { aggregateMessages } from "../format.ts";

/** builtin.go privilegedGroupAuthorizer: a member of any listed group is allowed (empty reason), before and
 *  independent of RBAC — kube-apiserver puts it first with ["system:masters"]. */
export function privilegedGroupAuthorizer(groups: readonly string[]): Authorizer {
  const set = new Set(groups);
  return {
    async authorize(a) {
      for (const g of a.user.groups) if (set.has(g)) return { verdict: "allow", reason: "" };
      return { verdict: "no-opinion", reason: "" };
    },
  };
}

/** union.go: the first allow or deny wins; when all have no opinion, the non-empty reasons joined by "\n"
 *  (the bare-reason form most observed 403 messages show, e.g. `…: RBAC: clusterrole… not found`). */
export function unionAuthorizer(...authorizers: readonly Authorizer[]): Authorizer {
  return {
    async authorize(a: RequestAttributes): Promise<Decision> {
      const reasons: string[] = [];
      for (const authorizer of authorizers) {
        const d = await authorizer.authorize(a);
        if (d.verdict !== "no-opinion") return d;
        if (d.reason !== "") reasons.push(d.reason);
      }
      return { verdict: "no-opinion", reason: reasons.join("\n") };
    },
  };
}

/** `--authorization-mode=AlwaysAllow`, written out in main/ for an open server (DESIGN.md rule 8). */
export const alwaysAllow: Authorizer & RuleResolver = {
  async authorize() {
    return { verdict: "allow", reason: "" };
  },
  rulesFor() {
    return {
      resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
      incomplete: false,
    };
  },
};

/** AlwaysDeny answers no-opinion (so a later authorizer may still allow), as Kubernetes' does. */
export const alwaysDeny: Authorizer & RuleResolver = {
  async authorize() {
    return { verdict: "no-opinion", reason: "Everything is forbidden." };
  },
  rulesFor() {
    return { resourceRules: [], nonResourceRules: [], incomplete: false };
  },
};

/** The rule resolvers of an authorizer chain, concatenated (SelfSubjectRulesReview): incomplete is OR'ed,
 *  evaluation errors aggregated. */
export function unionRuleResolver(...resolvers: readonly RuleResolver[]): RuleResolver {
  return {
    rulesFor(user: UserInfo, namespace: string): RulesReview {
      const out = { resourceRules: [] as RulesReview["resourceRules"][number][], nonResourceRules: [] as RulesReview["nonResourceRules"][number][] };
      const errors: string[] = [];
      let incomplete = false;
      for (const r of resolvers) {
        const review = r.rulesFor(user, namespace);
        out.resourceRules.push(...review.resourceRules);
        out.nonResourceRules.push(...review.nonResourceRules);
        incomplete ||= review.incomplete;
        if (review.evaluationError) errors.push(review.evaluationError);
      }
      return { ...out, incomplete, ...(errors.length > 0 ? { evaluationError: aggregateMessages(errors) } : {}) };
    },
  };
}
