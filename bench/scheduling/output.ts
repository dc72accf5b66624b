import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderChart } from "./chart.js";
import { type BenchPlan, planFor } from "./plan.js";
import { POLICIES, type PolicyName } from "./policies.js";
import { renderSummary } from "./report.js";
import type { RunRecord } from "./targets.js";
import type { WorkloadName } from "./workloads.js";

/** BenchResult is the JSON written to bench/results/scheduling-<timestamp>.json. */
export interface BenchResult {
  readonly benchmark: "scheduling";
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly mode: "full" | "quick";
  readonly filtered: boolean;
  readonly withBbr: boolean;
  readonly units: string;
  readonly pool: BenchPlan["pool"];
  readonly refreshMetricsInterval: string;
  readonly ttftSloS: number;
  readonly seed: number;
  readonly workloads: Readonly<Record<string, unknown>>;
  readonly policies: typeof POLICIES;
  readonly runs: readonly RunRecord[];
}

export function resultOf(
  plan: BenchPlan,
  records: readonly RunRecord[],
  run: { startedAt: string; wallSeconds: number; filtered: boolean; withBbr: boolean },
): BenchResult {
  return {
    benchmark: "scheduling",
    ...run,
    mode: plan.mode,
    units: "simulated time: wall-clock durations divided by the simulator's time scale; rates per simulated second",
    pool: plan.pool,
    refreshMetricsInterval: plan.refreshMetricsInterval,
    ttftSloS: plan.ttftSloS,
    seed: plan.seed,
    workloads: Object.fromEntries(
      plan.sweeps.map((s) => [s.workload.name, { ...s, workload: undefined, description: s.workload.description }]),
    ),
    policies: POLICIES,
    runs: records,
  };
}

/** Written lists the files an output step wrote. */
export type Written = string[];

/**
 * writeOutputs writes the JSON (unless re-rendering), the SVG chart and the Markdown summary
 * as `<stem>.{json,svg,md}`, and the commit-worthy copies in bench/scheduling when `publishTo`.
 */
export function writeOutputs(
  result: BenchResult,
  plan: BenchPlan,
  stem: string,
  opts: { writeJson: boolean; publishTo: string | undefined },
): { written: Written; summary: string } {
  const written: Written = [];
  if (opts.writeJson) {
    writeFileSync(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
    written.push(`${stem}.json`);
  }
  const svg = renderChart(result.runs, plan);
  const summary = renderSummary(result, result.runs, plan);
  writeFileSync(`${stem}.svg`, svg);
  writeFileSync(`${stem}.md`, summary);
  written.push(`${stem}.svg`, `${stem}.md`);
  if (opts.publishTo) {
    writeFileSync(join(opts.publishTo, "results.svg"), svg);
    writeFileSync(join(opts.publishTo, "results.md"), summary);
    written.push(join(opts.publishTo, "results.svg"), join(opts.publishTo, "results.md"));
  }
  return { written, summary };
}

/**
 * loadResult reads a saved JSON and rebuilds the plan it ran (the workloads' rates and policies
 * as saved; workload definitions from the current code), so the chart and summary can be
 * re-rendered without running again.
 */
export function loadResult(path: string): { result: BenchResult; plan: BenchPlan } {
  const result = JSON.parse(readFileSync(path, "utf8")) as BenchResult;
  const saved = result.workloads as Record<string, { rates: number[]; policies: PolicyName[] } | undefined>;
  const base = planFor(result.mode);
  const plan: BenchPlan = {
    ...base,
    pool: result.pool,
    refreshMetricsInterval: result.refreshMetricsInterval,
    ttftSloS: result.ttftSloS,
    seed: result.seed,
    sweeps: base.sweeps
      .filter((s) => saved[s.workload.name as WorkloadName] !== undefined)
      .map((s) => ({ ...s, rates: saved[s.workload.name]!.rates, policies: saved[s.workload.name]!.policies })),
  };
  return { result, plan };
}
