import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./stack.js";

/** PolicyName names a routing policy of the comparison. */
export type PolicyName = "round-robin" | "random" | "load-aware" | "default" | "flow-control";

/** Policy is how requests are routed: devgw alone, or devgw asking the EPP with a config. */
export interface Policy {
  readonly name: PolicyName;
  readonly description: string;
  /** useEpp false: devgw's own round-robin. */
  readonly useEpp: boolean;
  /** File under bench/scheduling/configs; undefined with useEpp runs the embedded default. */
  readonly configFile: string | undefined;
}

export const POLICIES: Readonly<Record<PolicyName, Policy>> = {
  "round-robin": {
    name: "round-robin",
    description: "devgw alone: round-robin over the pool (a Kubernetes Service stand-in)",
    useEpp: false,
    configFile: undefined,
  },
  random: {
    name: "random",
    description: "EPP, random-picker only",
    useEpp: true,
    configFile: "random.yaml",
  },
  "load-aware": {
    name: "load-aware",
    description: "EPP, queue-scorer 2 + kv-cache-utilization-scorer 2 + max-score-picker",
    useEpp: true,
    configFile: "load-aware.yaml",
  },
  default: {
    name: "default",
    description: "EPP, embedded default config (queue 2 + kv-cache 2 + prefix-cache 3, max-score-picker)",
    useEpp: true,
    configFile: undefined,
  },
  "flow-control": {
    name: "flow-control",
    description: "EPP, default profile + featureGates [flowControl] (global-strict fairness, FCFS, maxConcurrency 8)",
    useEpp: true,
    configFile: "flow-control.yaml",
  },
};

/** configYaml reads a policy's EPP config (undefined: the EPP's embedded default). */
export function configYaml(policy: Policy): string | undefined {
  return policy.configFile === undefined
    ? undefined
    : readFileSync(join(repoRoot(), "bench", "scheduling", "configs", policy.configFile), "utf8");
}
