// kpki serve's leader-election flags, named and defaulted as kube-controller-manager's
// (component-base LeaderElectionConfiguration): --leader-elect, --leader-elect-lease-duration,
// --leader-elect-renew-deadline, --leader-elect-retry-period, --leader-elect-resource-name/-namespace.
import { CliError, type OptionSpec } from "../cli/index.ts";
import { parseDuration } from "../base/index.ts";
import { leaderElectionProblem, type LeaderElectionFlags } from "./leader.ts";

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

export const LEADER_OPTIONS: readonly OptionSpec[] = [
  { name: "leader-elect", type: "string", arg: "true|false", help: "run the controllers only on the replica holding the Lease (default true)" },
  { name: "leader-elect-lease-duration", type: "string", arg: "DURATION", help: "how long non-leaders wait before taking a lease over (default 15s)" },
  { name: "leader-elect-renew-deadline", type: "string", arg: "DURATION", help: "how long the leader retries renewing before it stops leading (default 10s)" },
  { name: "leader-elect-retry-period", type: "string", arg: "DURATION", help: "wait between attempts to acquire or renew (default 2s)" },
  { name: "leader-elect-resource-namespace", type: "string", arg: "NS", help: "namespace of the Lease (default kube-system)" },
  { name: "leader-elect-resource-name", type: "string", arg: "NAME", help: "name of the Lease (default kpki-controller-manager)" },
];

function duration(v: Values, name: string): number | undefined {
  const text = v[name];
  if (typeof text !== "string") return undefined;
  try {
    return parseDuration(text);
  } catch {
    throw new CliError("usage", `serve: --${name} must be a duration like 15s, not "${text}"`);
  }
}

/** The parsed flags, or undefined when none was given (the defaults apply). */
export function leaderElectionFlags(v: Values): LeaderElectionFlags | undefined {
  if (!LEADER_OPTIONS.some((o) => typeof v[o.name] === "string")) return undefined;
  const elect = v["leader-elect"];
  if (elect !== undefined && elect !== "true" && elect !== "false") {
    throw new CliError("usage", `serve: --leader-elect must be true or false, not "${String(elect)}"`);
  }
  const str = (name: string): string | undefined => (typeof v[name] === "string" && v[name] !== "" ? (v[name] as string) : undefined);
  const flags: LeaderElectionFlags = {
    enabled: elect !== "false",
    leaseDurationMs: duration(v, "leader-elect-lease-duration"),
    renewDeadlineMs: duration(v, "leader-elect-renew-deadline"),
    retryPeriodMs: duration(v, "leader-elect-retry-period"),
    namespace: str("leader-elect-resource-namespace"),
    name: str("leader-elect-resource-name"),
  };
  const problem = leaderElectionProblem(flags);
  if (problem !== undefined) throw new CliError("usage", `serve: ${problem}`);
  return flags;
}
