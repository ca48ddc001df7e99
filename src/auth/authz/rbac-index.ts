// RbacIndex: the RBAC authorizer + rule resolver over an in-memory copy of the four RBAC kinds, fed by
// upsert/remove (the server feeds it from a storage watch; DESIGN.md rule 2: RBAC does not import storage).
// Resolution follows pkg/registry/rbac/validation/rule.go VisitRulesFor (reference §3.1): ClusterRoleBindings
// first, then — only for a namespaced request — the RoleBindings of that namespace. Bindings are indexed by
// subject (user name, group, service-account user name) so a decision touches only the bindings that can
// apply to the user, never all of them.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, RbacObject, Role, RoleBinding, RoleRef } from "../../api/index.ts";
import type { Authorizer, Decision, RequestAttributes, RuleResolver, RulesReview, UserInfo } from "../types.ts";
import { aggregateMessages, goQuote } from "../format.ts";
import { describeSubject, ruleAllows, subjectAppliesTo } from "./rules.ts";
import { SubjectIndex, type BindingEntry } from "./subject-index.ts";
import { splitRules } from "./split.ts";

/** The rules a roleRef grants, or the lister error kube-apiserver would report. */
export type RoleRefRules = { readonly rules: readonly PolicyRule[] } | { readonly error: string };

export class RbacIndex implements Authorizer, RuleResolver {
  readonly #clusterRoles = new Map<string, ClusterRole>();
  readonly #roles = new Map<string, Role>(); // "ns/name"
  readonly #clusterBindings = new SubjectIndex();
  readonly #bindingsByNamespace = new Map<string, SubjectIndex>();
  #seq = 0;

  upsert(obj: RbacObject): void {
    const name = obj.metadata.name ?? "";
    const ns = obj.metadata.namespace ?? "";
    switch (obj.kind) {
      case "ClusterRole":
        this.#clusterRoles.set(name, obj);
        return;
      case "Role":
        this.#roles.set(`${ns}/${name}`, obj);
        return;
      case "ClusterRoleBinding":
        this.#clusterBindings.put(name, obj, "", () => ++this.#seq);
        return;
      case "RoleBinding": {
        let index = this.#bindingsByNamespace.get(ns);
        if (index === undefined) this.#bindingsByNamespace.set(ns, (index = new SubjectIndex()));
        index.put(name, obj, ns, () => ++this.#seq);
        return;
      }
    }
  }

  remove(obj: Pick<RbacObject, "kind" | "metadata">): void {
    const name = obj.metadata.name ?? "";
    const ns = obj.metadata.namespace ?? "";
    switch (obj.kind) {
      case "ClusterRole":
        this.#clusterRoles.delete(name);
        return;
      case "Role":
        this.#roles.delete(`${ns}/${name}`);
        return;
      case "ClusterRoleBinding":
        this.#clusterBindings.delete(name);
        return;
      case "RoleBinding": {
        const index = this.#bindingsByNamespace.get(ns);
        index?.delete(name);
        if (index?.size === 0) this.#bindingsByNamespace.delete(ns);
        return;
      }
    }
  }

  getClusterRole(name: string): ClusterRole | undefined {
    return this.#clusterRoles.get(name);
  }
  getRole(namespace: string, name: string): Role | undefined {
    return this.#roles.get(`${namespace}/${name}`);
  }

  /** rule.go GetRoleReferenceRules: a ClusterRoleBinding passes namespace "" so it can never use a Role. */
  roleRefRules(ref: RoleRef, bindingNamespace: string): RoleRefRules {
    switch (ref.kind) {
      case "Role": {
        const role = bindingNamespace === "" ? undefined : this.#roles.get(`${bindingNamespace}/${ref.name}`);
        return role ? { rules: role.rules ?? [] } : { error: `role.rbac.authorization.k8s.io ${goQuote(ref.name)} not found` };
      }
      case "ClusterRole": {
        const role = this.#clusterRoles.get(ref.name);
        return role ? { rules: role.rules ?? [] } : { error: `clusterrole.rbac.authorization.k8s.io ${goQuote(ref.name)} not found` };
      }
      default:
        return { error: `unsupported role reference kind: ${goQuote(ref.kind)}` };
    }
  }

  /** RBAC never denies: allow with the binding that granted it, else no-opinion (reason = resolution errors). */
  async authorize(a: RequestAttributes): Promise<Decision> {
    return this.decide(a);
  }

  /** Synchronous core of authorize (benchmarks and callers that hold no event loop turn). */
  decide(a: RequestAttributes): Decision {
    const errors: string[] = [];
    const found =
      this.#firstAllowing(a, this.#clusterBindings, errors) ??
      (a.namespace === "" ? undefined : this.#firstAllowingIn(a, errors));
    if (found !== undefined) return { verdict: "allow", reason: `RBAC: allowed by ${found}` };
    return { verdict: "no-opinion", reason: errors.length === 0 ? "" : `RBAC: ${aggregateMessages(errors)}` };
  }

  #firstAllowingIn(a: RequestAttributes, errors: string[]): string | undefined {
    const index = this.#bindingsByNamespace.get(a.namespace);
    return index === undefined ? undefined : this.#firstAllowing(a, index, errors);
  }

  #firstAllowing(a: RequestAttributes, index: SubjectIndex, errors: string[]): string | undefined {
    for (const entry of index.candidates(a.user)) {
      const subjectIndex = firstApplyingSubject(a.user, entry);
      if (subjectIndex < 0) continue;
      const resolved = this.roleRefRules(entry.binding.roleRef, entry.namespace);
      if ("error" in resolved) {
        errors.push(resolved.error);
        continue;
      }
      for (const rule of resolved.rules) {
        if (ruleAllows(a, rule)) return describeBinding(entry, subjectIndex);
      }
    }
    return undefined;
  }

  /** Every rule that applies to the user in `namespace` ("" = cluster bindings only), split for
   *  SelfSubjectRulesReview (rbac.go RulesFor); resolution errors become evaluationError. */
  rulesFor(user: UserInfo, namespace: string): RulesReview {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    const visit = (index: SubjectIndex | undefined): void => {
      for (const entry of index?.candidates(user) ?? []) {
        if (firstApplyingSubject(user, entry) < 0) continue;
        const resolved = this.roleRefRules(entry.binding.roleRef, entry.namespace);
        if ("error" in resolved) errors.push(resolved.error);
        else rules.push(...resolved.rules);
      }
    };
    visit(this.#clusterBindings);
    if (namespace !== "") visit(this.#bindingsByNamespace.get(namespace));
    return {
      ...splitRules(rules),
      incomplete: false,
      ...(errors.length > 0 ? { evaluationError: aggregateMessages(errors) } : {}),
    };
  }
}

function firstApplyingSubject(user: UserInfo, entry: BindingEntry): number {
  const subjects = entry.binding.subjects ?? [];
  for (let i = 0; i < subjects.length; i++) {
    const s = subjects[i];
    if (s !== undefined && subjectAppliesTo(user, s, entry.namespace)) return i;
  }
  return -1;
}

/** rule.go clusterRoleBindingDescriber / roleBindingDescriber. */
function describeBinding(entry: BindingEntry, subjectIndex: number): string {
  const b: ClusterRoleBinding | RoleBinding = entry.binding;
  const subject = b.subjects?.[subjectIndex];
  const to = subject === undefined ? "" : ` to ${describeSubject(subject, entry.namespace)}`;
  const of = `of ${b.roleRef.kind} ${goQuote(b.roleRef.name)}`;
  return b.kind === "ClusterRoleBinding"
    ? `ClusterRoleBinding ${goQuote(entry.name)} ${of}${to}`
    : `RoleBinding ${goQuote(`${entry.name}/${entry.namespace}`)} ${of}${to}`;
}
