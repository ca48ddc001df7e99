import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuthenticationResult, Authenticator, PresentedCredentials } from "../types.ts";
import { anonymousAuthenticator, failOnError, unionAuthenticator, withAuthenticatedGroup } from "./union.ts";
import { parseTokenFile, tokenAuthenticator } from "./token.ts";
import { AuthError } from "../errors.ts";

const creds = (bearerToken?: string): PresentedCredentials => ({ peerCertificates: [], path: "/api", ...(bearerToken !== undefined ? { bearerToken } : {}) });
const fixed = (r: AuthenticationResult): Authenticator => ({ authenticate: async () => r });
const NA: AuthenticationResult = { outcome: "not-applicable" };
const ok = (name: string, ...groups: string[]): AuthenticationResult => ({ outcome: "authenticated", user: { name, groups, extra: {} } });
const no = (reason: string): AuthenticationResult => ({ outcome: "rejected", reason });

test("unionAuthenticator: non-fail-fast, first authenticated wins (§1.4)", async () => {
  const cases: Array<[string, AuthenticationResult[], AuthenticationResult]> = [
    ["empty", [], NA],
    ["all not-applicable", [NA, NA], NA],
    ["rejected then authenticated", [no("bad cert"), ok("jane")], ok("jane")],
    ["first authenticated wins", [ok("a"), ok("b")], ok("a")],
    ["rejected beats not-applicable", [NA, no("bad")], no("bad")],
    ["reasons aggregated", [no("e1"), NA, no("e2")], no("[e1, e2]")],
  ];
  for (const [name, results, want] of cases) assert.deepEqual(await unionAuthenticator(...results.map(fixed)).authenticate(creds()), want, name);
});

test("withAuthenticatedGroup appends system:authenticated at the end, with exceptions", async () => {
  const cases: Array<[AuthenticationResult, AuthenticationResult]> = [
    [ok("jane", "dev"), ok("jane", "dev", "system:authenticated")],
    [ok("jane", "system:authenticated", "dev"), ok("jane", "system:authenticated", "dev")],
    [ok("x", "system:unauthenticated"), ok("x", "system:unauthenticated")],
    [ok("system:anonymous"), ok("system:anonymous")],
    [no("r"), no("r")],
    [NA, NA],
  ];
  for (const [inner, want] of cases) assert.deepEqual(await withAuthenticatedGroup(fixed(inner)).authenticate(creds()), want);
});

test("failOnError: anonymous only when nobody had an opinion", async () => {
  const anon = anonymousAuthenticator();
  assert.deepEqual(await anon.authenticate(creds()), ok("system:anonymous", "system:unauthenticated"));
  assert.deepEqual(await failOnError(fixed(NA), anon).authenticate(creds()), ok("system:anonymous", "system:unauthenticated"));
  assert.deepEqual(await failOnError(fixed(no("expired")), anon).authenticate(creds()), no("expired"));
  assert.deepEqual(await failOnError(fixed(ok("jane")), anon).authenticate(creds()), ok("jane"));
  const chain = failOnError(withAuthenticatedGroup(unionAuthenticator(fixed(NA), tokenAuthenticator("t1,bot,7\n"))), anon);
  assert.deepEqual(await chain.authenticate(creds("t1")), { outcome: "authenticated", user: { name: "bot", uid: "7", groups: ["system:authenticated"], extra: {} } });
  assert.deepEqual(await chain.authenticate(creds("nope")), no("invalid bearer token"));
  assert.deepEqual((await chain.authenticate(creds())), ok("system:anonymous", "system:unauthenticated"));
});

test("tokenAuthenticator: Kubernetes' static token CSV", async () => {
  const csv = 'abc,alice,1001,"dev,ops"\r\n\n"x,y",bob,1002\n,skipped,3\nabc,alice2,1003,admins\nq,"quoted ""name""",4,\n';
  const a = tokenAuthenticator(csv);
  const user = async (t: string) => a.authenticate(creds(t));
  assert.deepEqual(await user("abc"), { outcome: "authenticated", user: { name: "alice2", uid: "1003", groups: ["admins"], extra: {} } }, "later duplicate wins");
  assert.deepEqual(await user("x,y"), { outcome: "authenticated", user: { name: "bob", uid: "1002", groups: [], extra: {} } });
  assert.deepEqual(await user("q"), { outcome: "authenticated", user: { name: 'quoted "name"', uid: "4", groups: [""], extra: {} } });
  assert.deepEqual(await user(""), NA);
  assert.deepEqual(await a.authenticate(creds()), NA);
  assert.deepEqual(await user("zzz"), no("invalid bearer token"));
  assert.equal(parseTokenFile("a,b,c,\"g1,g2\"").get("a")?.groups.join("|"), "g1|g2");
});

test("parseTokenFile errors name the line", () => {
  const cases: Array<[string, RegExp]> = [
    ["a,b,c\nonly,two\n", /^token file line 2 must have at least 3 columns \(token, user name, user uid\), found 2$/],
    ['a,b,c\n\nx,y"z,1\n', /^token file: parse error on line 3, column 4: bare " in non-quoted field$/],
    ['a,b,"c\n', /^token file: parse error on line 2, column 1: extraneous or missing " in quoted-field$/],
    ['a,"b"x,c\n', /^token file: parse error on line 1, column 6: extraneous or missing " in quoted-field$/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseTokenFile(text), (e: unknown) => e instanceof AuthError && e.code === "bad-token-file" && re.test(e.message), text);
  }
});
