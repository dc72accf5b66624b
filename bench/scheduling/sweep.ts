import type { BenchPlan } from "./plan.js";
import { configYaml, POLICIES, type PolicyName } from "./policies.js";
import { runLoad } from "./runner.js";
import { type Stack, StackError, startStack } from "./stack.js";
import type { RunRecord } from "./targets.js";
import { objectivesYaml } from "./workloads.js";

/** SweepOptions are the run-wide settings besides the plan. */
export interface SweepOptions {
  readonly withBbr: boolean;
  readonly workDir: string;
  readonly log: (line: string) => void;
}

// flow-control runs last: if the EPP refuses its config, that is reported as pending.
const order = (policies: readonly PolicyName[]) =>
  [...policies].sort((a, b) => Number(a === "flow-control") - Number(b === "flow-control"));

/**
 * runPlan runs every (workload, policy, rate) of the plan on fresh processes, so no cache,
 * prefix index or queue carries over from one measurement to the next.
 */
export async function runPlan(plan: BenchPlan, o: SweepOptions): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  let runNo = 0;
  for (const sweep of plan.sweeps) {
    for (const policyName of order(sweep.policies)) {
      const policy = POLICIES[policyName];
      let stopReason: { skipped?: string; error?: string } | undefined;
      for (const rate of sweep.rates) {
        const key = { workload: sweep.workload.name, policy: policy.name, rate };
        if (stopReason) {
          records.push({ ...key, ...stopReason });
          continue;
        }
        runNo++;
        const runId = `${String(runNo).padStart(2, "0")}-${sweep.workload.name}-${policy.name}-${rate}`;
        const requests = sweep.workload.build(rate, sweep.durationS, plan.seed);
        const startT = performance.now();
        let stack: Stack;
        try {
          stack = await startStack({
            pool: plan.pool,
            epp: policy.useEpp
              ? { configYaml: configYaml(policy), refreshMetricsInterval: plan.refreshMetricsInterval }
              : undefined,
            withBbr: o.withBbr,
            objectivesYaml: objectivesYaml(),
            workDir: o.workDir,
            runId,
          });
        } catch (e) {
          const why = e instanceof StackError ? `${e.component}: ${e.message}` : String(e);
          o.log(`${runId}: NOT RUN (${why.split("\n").slice(0, 3).join(" | ")})`);
          records.push({ ...key, error: why });
          stopReason = { error: why }; // the same config would fail at every rate
          continue;
        }
        const startupS = ((performance.now() - startT) / 1000).toFixed(1);
        try {
          const metrics = await runLoad(stack, {
            requests,
            durationS: sweep.durationS,
            warmupS: sweep.warmupS,
            drainS: sweep.drainS,
            timeScale: plan.pool.timeScale,
          });
          records.push({ ...key, metrics });
          // Past its knee a policy's queue only grows: higher rates would add minutes, not information.
          if (sweep.skipPastKnee && (metrics.ttft.p90 ?? 0) > plan.skipAboveS) {
            stopReason = { skipped: `p90 TTFT already ${metrics.ttft.p90} s at ${rate}/s` };
          }
          const t = metrics.ttft;
          o.log(
            `${runId}: ${metrics.throughput} tok/s, TTFT p50 ${t.p50}s p90 ${t.p90}s, ok ${metrics.ok}/${metrics.measured}` +
              `, hit ${metrics.cacheHitRatio}, statuses ${JSON.stringify(metrics.statuses)}, ${metrics.wallSeconds}s wall` +
              ` (+${startupS}s start-up)`,
          );
        } finally {
          await stack.stop();
        }
      }
    }
  }
  return records;
}
