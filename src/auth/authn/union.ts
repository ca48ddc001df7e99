// Authenticator composition (apiserver request/union, group/authenticated_group_adder.go, anonymous.go and
// authenticatorfactory FailOnError; reference §1.4).
import type { AuthenticationResult, Authenticator, PresentedCredentials, UserInfo } from "../types.ts";
import { aggregateMessages } from "../format.ts";

export const ANONYMOUS_USER = "system:anonymous";
export const UNAUTHENTICATED_GROUP = "system:unauthenticated";
export const AUTHENTICATED_GROUP = "system:authenticated";

/** system:anonymous in system:unauthenticated (never system:authenticated). */
export function anonymousAuthenticator(): Authenticator {
  const user: UserInfo = Object.freeze({ name: ANONYMOUS_USER, groups: Object.freeze([UNAUTHENTICATED_GROUP]), extra: Object.freeze({}) });
  return {
    async authenticate() {
      return { outcome: "authenticated", user };
    },
  };
}

/** Non-fail-fast union: the first "authenticated" wins; otherwise "rejected" (all reasons aggregated) if any
 *  member rejected, else "not-applicable". */
export function unionAuthenticator(...authenticators: readonly Authenticator[]): Authenticator {
  return {
    async authenticate(c: PresentedCredentials): Promise<AuthenticationResult> {
      const reasons: string[] = [];
      for (const a of authenticators) {
        const r = await a.authenticate(c);
        if (r.outcome === "authenticated") return r;
        if (r.outcome === "rejected") reasons.push(r.reason);
      }
      return reasons.length > 0 ? { outcome: "rejected", reason: aggregateMessages(reasons) } : { outcome: "not-applicable" };
    },
  };
}

/** AuthenticatedGroupAdder: append system:authenticated at the end, unless the user is anonymous or already
 *  carries system:authenticated / system:unauthenticated. */
export function withAuthenticatedGroup(inner: Authenticator): Authenticator {
  return {
    async authenticate(c) {
      const r = await inner.authenticate(c);
      if (r.outcome !== "authenticated") return r;
      const user = addAuthenticatedGroup(r.user);
      return user === r.user ? r : { outcome: "authenticated", user };
    },
  };
}

/** kube's AuthenticatedGroupAdder: system:authenticated joins every user but anonymous and those already
 *  in it or in system:unauthenticated (the same user object back when nothing changes). */
export function addAuthenticatedGroup(u: UserInfo): UserInfo {
  if (u.name === ANONYMOUS_USER || u.groups.includes(AUTHENTICATED_GROUP) || u.groups.includes(UNAUTHENTICATED_GROUP)) return u;
  return { ...u, groups: [...u.groups, AUTHENTICATED_GROUP] };
}

/** FailOnError: anonymous only when every real authenticator had no opinion; a rejected credential (bad cert,
 *  unknown token) stays rejected → 401, never anonymous. */
export function failOnError(chain: Authenticator, anonymous: Authenticator): Authenticator {
  return {
    async authenticate(c) {
      const r = await chain.authenticate(c);
      return r.outcome === "not-applicable" ? anonymous.authenticate(c) : r;
    },
  };
}
