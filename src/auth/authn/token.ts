// Static bearer tokens: kube-apiserver --token-auth-file (authenticator/token/tokenfile/tokenfile.go). CSV,
// at least 3 columns `token,user,uid`, optional 4th `"group1,group2"`; later duplicates win; empty tokens are
// skipped. An unknown token is rejected ("invalid bearer token", request/bearertoken), never anonymous.
import type { Authenticator, UserInfo } from "../types.ts";
import { AuthError } from "../errors.ts";
import { parseCsv } from "./csv.ts";
import { aggregateMessages } from "../format.ts";
import { addAuthenticatedGroup } from "./union.ts";

export function tokenAuthenticator(csvText: string): Authenticator {
  const tokens = parseTokenFile(csvText);
  return {
    async authenticate(c) {
      const token = c.bearerToken;
      if (token === undefined || token === "") return { outcome: "not-applicable" };
      const user = tokens.get(token);
      return user ? { outcome: "authenticated", user } : { outcome: "rejected", reason: "invalid bearer token" };
    },
  };
}

/** Token → user; throws AuthError("bad-token-file") naming the line. */
export function parseTokenFile(csvText: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  for (const { line, fields } of parseCsv(csvText)) {
    if (fields.length < 3) {
      throw new AuthError("bad-token-file", `token file line ${line} must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
    }
    const [token = "", name = "", uid = "", groups] = fields;
    if (token === "") continue;
    tokens.set(
      token,
      Object.freeze({
        name,
        ...(uid !== "" ? { uid } : {}),
        groups: Object.freeze(groups === undefined ? [] : groups.split(",")),
        extra: Object.freeze({}),
      }),
    );
  }
  return tokens;
}

// ---- TokenReview (kube's pkg/registry/authentication/tokenreview/storage.go) ------------------------

/** A bearer-token authenticator asked for one call's audiences (kube: authenticator.WithAudiences in the
 *  context). "authenticated" carries the audiences it answered for. */
export type TokenCheckResult =
  | { readonly outcome: "authenticated"; readonly user: UserInfo; readonly audiences: readonly string[] }
  | { readonly outcome: "not-applicable" }
  | { readonly outcome: "rejected"; readonly reason: string };
export type TokenCheck = (token: string, audiences: readonly string[]) => Promise<TokenCheckResult>;

/** A TokenReview's verdict: the user with system:authenticated added, or why not (kube's status.error). */
export type TokenReviewResult =
  | { readonly authenticated: true; readonly user: UserInfo; readonly audiences: readonly string[] }
  | { readonly authenticated: false; readonly error?: string };
/** spec.token and spec.audiences (empty = the API audiences) → verdict. */
export type TokenReviewer = (token: string, audiences: readonly string[]) => Promise<TokenReviewResult>;

/** The token file wrapped as kube's WrapAudienceAgnosticToken: it answers only for audiences that meet
 *  the API audiences (and reports that intersection); an unknown token is no opinion, not an error. */
export function staticTokenCheck(csvText: string, apiAudiences: readonly string[]): TokenCheck {
  const tokens = parseTokenFile(csvText);
  return async (token, audiences) => {
    const auds = apiAudiences.filter((a) => audiences.includes(a));
    const user = tokens.get(token);
    return auds.length === 0 || user === undefined ? { outcome: "not-applicable" } : { outcome: "authenticated", user, audiences: auds };
  };
}

/** storage.go Create: the bearer-token chain (token union → bearertoken → AuthenticatedGroupAdder), never
 *  x509 or anonymous. Nobody authenticating and nobody erring is bearertoken's "invalid bearer token";
 *  several errors aggregate as kube's utilerrors do. */
export function tokenReviewer(checks: readonly TokenCheck[], apiAudiences: readonly string[]): TokenReviewer {
  return async (token, requested) => {
    const audiences = requested.length > 0 ? requested : apiAudiences;
    const reasons: string[] = [];
    for (const check of checks) {
      const r = await check(token, audiences);
      if (r.outcome === "rejected") reasons.push(r.reason);
      if (r.outcome !== "authenticated") continue;
      return { authenticated: true, user: addAuthenticatedGroup(r.user), audiences: r.audiences };
    }
    return { authenticated: false, error: reasons.length > 0 ? aggregateMessages(reasons) : "invalid bearer token" };
  };
}
