import type { PolicyName } from "./policies.js";
import type { SimPoolParams } from "./stack.js";
import { mixed, priorityMix, sharedPrefix, type Workload } from "./workloads.js";

/** Sweep is one workload's comparison: which policies, at which rates (simulated requests/s). */
export interface Sweep {
  readonly workload: Workload;
  readonly policies: readonly PolicyName[];
  readonly rates: readonly number[];
  /** Sending time and unmeasured warm-up, simulated seconds. */
  readonly durationS: number;
  readonly warmupS: number;
  /** Time allowed after the last send before open requests are cancelled, simulated seconds. */
  readonly drainS: number;
  /** Skip a policy's higher rates once it is far past its knee (not for the overload-by-design priority mix). */
  readonly skipPastKnee: boolean;
}

/** BenchPlan is a whole run. */
export interface BenchPlan {
  readonly mode: "full" | "quick";
  readonly pool: SimPoolParams;
  /** EPP --refresh-metrics-interval (wall clock). */
  readonly refreshMetricsInterval: string;
  /** p90 TTFT objective (simulated seconds) for "throughput at equal p90 TTFT". */
  readonly ttftSloS: number;
  /** A policy whose p90 TTFT exceeds this (simulated seconds) is not run at higher rates of the sweep. */
  readonly skipAboveS: number;
  readonly seed: number;
  readonly sweeps: readonly Sweep[];
}

/**
 * POOL: four replicas of a 7-8B-on-H100-like server (the simulator's default latencies) with
 * four sequences each and 1,000 KV blocks of 16 tokens: room for about five of the 16 shared
 * system prompts per replica, so the pool holds them all only if each group sticks to one
 * replica. Time runs at 2× (time scale 0.5): enough to halve the run, little enough that the
 * gateway's own milliseconds stay small next to the simulated ones (README).
 */
export const POOL: SimPoolParams = {
  replicas: 4,
  maxNumSeqs: 4,
  kvBlocks: 1000,
  blockSize: 16,
  maxModelLen: 8192,
  timeScale: 0.5,
};

export const SHARED_PREFIX = sharedPrefix({
  groups: 16,
  systemPromptTokens: 3000,
  questionTokens: [40, 120],
  outputTokens: 24,
});

export const MIXED = mixed([
  { name: "short", share: 0.6, promptTokens: [100, 400], outputTokens: [16, 64] },
  { name: "medium", share: 0.3, promptTokens: [1000, 2500], outputTokens: [16, 64] },
  { name: "long", share: 0.1, promptTokens: [4000, 6000], outputTokens: [16, 64] },
]);

export const PRIORITY = priorityMix({ promptTokens: [200, 800], outputTokens: 32 });

const ROUTING: readonly PolicyName[] = ["round-robin", "random", "load-aware", "default"];

/** planFor builds the full (about 10 minutes) or quick (under 2 minutes) plan. */
export function planFor(mode: "full" | "quick"): BenchPlan {
  const quick = mode === "quick";
  return {
    mode,
    pool: POOL,
    refreshMetricsInterval: "50ms",
    ttftSloS: 2,
    skipAboveS: 5,
    seed: 20261122,
    sweeps: [
      {
        workload: SHARED_PREFIX,
        policies: ROUTING,
        rates: quick ? [6, 16] : [4, 6, 8, 12, 16, 20, 24],
        durationS: quick ? 12 : 20,
        warmupS: quick ? 4 : 5,
        drainS: quick ? 6 : 10,
        skipPastKnee: true,
      },
      {
        workload: MIXED,
        policies: ROUTING,
        rates: quick ? [] : [4, 7, 10],
        durationS: 20,
        warmupS: 4,
        drainS: 10,
        skipPastKnee: true,
      },
      {
        workload: PRIORITY,
        policies: ["default", "flow-control"],
        rates: quick ? [36] : [24, 36],
        durationS: quick ? 12 : 24,
        warmupS: 4,
        drainS: quick ? 6 : 10,
        skipPastKnee: false,
      },
    ],
  };
}
