// Static bearer tokens: kube-apiserver --token-auth-file (authenticator/token/tokenfile/tokenfile.go). CSV,
// at least 3 columns `token,user,uid`, optional 4th `"group1,group2"`; later duplicates win; empty tokens are
// skipped. An unknown token is rejected ("invalid bearer token", request/bearertoken), never anonymous.
import type { Authenticator, UserInfo } from "../types.ts";
import { AuthError } from "../errors.ts";
import { parseCsv } from "./csv.ts";

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
