// auth/ contracts: authentication turns presented credentials into a UserInfo; authorization turns
// RequestAttributes into a Decision. Small interfaces joined by unions (DESIGN.md rule 1).
import type { Certificate } from "../pki/index.ts";

export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

export interface PresentedCredentials {
  /** The TLS peer chain as presented, leaf first (empty when the client sent none). */
  readonly peerCertificates: readonly Certificate[];
  /** `Authorization: Bearer <token>` value, if any. */
  readonly bearerToken?: string;
  readonly path: string;
}

export type AuthenticationResult =
  | { readonly outcome: "authenticated"; readonly user: UserInfo }
  | { readonly outcome: "not-applicable" }
  | { readonly outcome: "rejected"; readonly reason: string };

export interface Authenticator {
  authenticate(c: PresentedCredentials): Promise<AuthenticationResult>;
}

/** What authorization decides on (apiserver RequestInfo + user). */
export interface RequestAttributes {
  readonly user: UserInfo;
  readonly verb: string;
  readonly isResourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  readonly path: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

export type Verdict = "allow" | "deny" | "no-opinion";

export interface Decision {
  readonly verdict: Verdict;
  readonly reason: string;
}

export interface Authorizer {
  authorize(a: RequestAttributes): Promise<Decision>;
}

export interface ResourceRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
}
export interface NonResourceRule {
  readonly verbs: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}
export interface RulesReview {
  readonly resourceRules: readonly ResourceRule[];
  readonly nonResourceRules: readonly NonResourceRule[];
  readonly incomplete: boolean;
  readonly evaluationError?: string;
}

/** Lists the rules that apply to a user in a namespace (SelfSubjectRulesReview, escalation checks). */
export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): RulesReview;
}
