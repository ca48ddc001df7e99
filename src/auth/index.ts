export * from "./types.ts";
export { AuthError, type AuthErrorCode } from "./errors.ts";
// authn
export { x509Authenticator, type X509AuthenticatorOptions, CREDENTIAL_ID_KEY } from "./authn/x509.ts";
export {
  tokenAuthenticator, parseTokenFile, staticTokenCheck, tokenReviewer, type TokenCheck, type TokenCheckResult, type TokenReviewResult, type TokenReviewer,
} from "./authn/token.ts";
export {
  anonymousAuthenticator,
  unionAuthenticator,
  withAuthenticatedGroup,
  failOnError,
  ANONYMOUS_USER,
  AUTHENTICATED_GROUP,
  UNAUTHENTICATED_GROUP,
} from "./authn/union.ts";
// authz
export { privilegedGroupAuthorizer, unionAuthorizer, unionRuleResolver, alwaysAllow, alwaysDeny } from "./authz/union.ts";
export { RbacIndex, type RoleRefRules } from "./authz/rbac-index.ts";
export { ruleAllows, subjectAppliesTo, serviceAccountUsername } from "./authz/rules.ts";
export { aggregateClusterRoles, selectorMatches } from "./authz/aggregation.ts";
export {
  confirmNoEscalation,
  confirmAggregationRuleAllowed,
  hasAggregationRule,
  isEscalationAllowed,
  canEscalate,
  canBind,
  uncoveredRules,
  compactRules,
  compactString,
  AGGREGATION_RULE_FORBIDDEN,
} from "./authz/escalation.ts";
export { checkRoleWrite, checkBindingWrite, type RbacWriteContext } from "./authz/rbac-writes.ts";
export { forbiddenMessage, forbiddenError } from "./authz/forbidden.ts";
export { bootstrapPolicy, type BootstrapPolicy } from "./authz/bootstrap.ts";
export {
  serviceAccountTokenAuthenticator, serviceAccountTokenCheck, VerifiedSignatures, checkServiceAccountToken, serviceAccountClaims, signJwt, verifyServiceAccountToken, parseTokenKeys, keyId, uuidFromBytes, TOKEN_LEEWAY_SECONDS,
  SERVICE_ACCOUNTS_GROUP, OIDC_CONFIG_PATH, JWKS_PATH, publicJwks, openIdMetadata, type TokenKey, type JwtAlgorithm, type KeyParseResult, type ServiceAccountClaims, type ClaimsInput, type BoundKind, type ObjectRef,
  type LiveObject, type TokenObjectLookup, type ServiceAccountAuthenticatorOptions, type VerifyResult,
} from "./authn/service-account-token.ts";
