import type { RunMetrics } from "./runner.js";
import { type CurvePoint, throughputAtSlo } from "./stats.js";
import { PRIORITY_OBJECTIVES, type WorkloadName } from "./workloads.js";

/** RunRecord is one (workload, policy, rate): its metrics, or why it could not run. */
export interface RunRecord {
  readonly workload: WorkloadName;
  readonly policy: string;
  readonly rate: number;
  readonly metrics?: RunMetrics;
  /** error: the stack did not start (e.g. the EPP refused the config). */
  readonly error?: string;
  /** skipped: not run because the policy was already far past its knee at a lower rate. */
  readonly skipped?: string;
}

/** curve is a policy's sweep on a workload (runs that produced a p90 TTFT). */
export function curve(records: readonly RunRecord[], workload: WorkloadName, policy: string): CurvePoint[] {
  return records
    .filter((r) => r.workload === workload && r.policy === policy && r.metrics?.ttft.p90 != null)
    .map((r) => ({ rate: r.rate, throughput: r.metrics!.throughput, ttftP90: r.metrics!.ttft.p90! }))
    .sort((a, b) => a.rate - b.rate);
}

/** ThroughputTarget: default ≥ 2× round-robin throughput at equal p90 TTFT (shared prefix). */
export interface ThroughputTarget {
  readonly sloS: number;
  readonly atSlo: Readonly<Record<string, { throughput: number; capped: boolean } | null>>;
  /** default / round-robin at the SLO; null when either is missing. */
  readonly ratio: number | null;
  /** Highest throughput reached anywhere in the sweep (capacity): default / round-robin. */
  readonly peakRatio: number | null;
  readonly met: boolean | null;
}

export function throughputTarget(records: readonly RunRecord[], sloS: number): ThroughputTarget {
  const policies = [...new Set(records.filter((r) => r.workload === "shared-prefix").map((r) => r.policy))];
  const atSlo: Record<string, { throughput: number; capped: boolean } | null> = {};
  for (const p of policies) atSlo[p] = throughputAtSlo(curve(records, "shared-prefix", p), sloS) ?? null;
  const d = atSlo["default"];
  const rr = atSlo["round-robin"];
  const ratio = d && rr && rr.throughput > 0 ? d.throughput / rr.throughput : null;
  const peak = (p: string) => Math.max(0, ...curve(records, "shared-prefix", p).map((c) => c.throughput));
  const peakRatio = peak("round-robin") > 0 && peak("default") > 0 ? peak("default") / peak("round-robin") : null;
  // A capped figure is a lower bound: it decides the verdict only in the direction it bounds.
  let met: boolean | null = null;
  if (ratio !== null && d && rr) {
    if (ratio >= 2) met = rr.capped ? null : true;
    else met = d.capped ? null : false;
  }
  return { sloS, atSlo, ratio: round(ratio), peakRatio: round(peakRatio), met };
}

/** sloTable is each policy's throughput at several p90 TTFT objectives (robustness of the ratio). */
export function sloTable(
  records: readonly RunRecord[],
  workload: WorkloadName,
  slos: readonly number[],
): { policy: string; atSlo: ({ throughput: number; capped: boolean } | null)[] }[] {
  const policies = [...new Set(records.filter((r) => r.workload === workload).map((r) => r.policy))];
  return policies.map((policy) => ({
    policy,
    atSlo: slos.map((slo) => throughputAtSlo(curve(records, workload, policy), slo) ?? null),
  }));
}

/** PriorityTarget: with flow control, high-priority p90 queue wait ≤ 0.25× low-priority under overload. */
export interface PriorityTarget {
  readonly state: "measured" | "pending" | "not-run";
  readonly note: string;
  readonly highP90S: number | null;
  readonly lowP90S: number | null;
  readonly ratio: number | null;
  /** The same ratio from the p90 buckets' edges least favourable to the target (null when unbounded). */
  readonly worstCaseRatio: number | null;
  readonly met: boolean | null;
}

export function priorityTarget(records: readonly RunRecord[]): PriorityTarget {
  const fc = records.filter((r) => r.workload === "priority" && r.policy === "flow-control");
  const none = { highP90S: null, lowP90S: null, ratio: null, worstCaseRatio: null, met: null };
  if (fc.length === 0) return { state: "not-run", note: "the flow-control variant was not part of this run", ...none };
  const failed = fc.find((r) => r.error !== undefined);
  if (failed) {
    return {
      state: "pending",
      note: `the EPP did not start with the flow-control config: ${errorLine(failed.error!)}`,
      ...none,
    };
  }
  const measured = fc.filter((r) => r.metrics !== undefined);
  if (measured.length === 0) return { state: "not-run", note: "no flow-control run produced metrics", ...none };
  const top = measured.reduce((a, b) => (b.rate > a.rate ? b : a));
  const high = String(Math.max(...PRIORITY_OBJECTIVES.map((o) => o.priority)));
  const low = String(Math.min(...PRIORITY_OBJECTIVES.map((o) => o.priority)));
  const q = top.metrics!.queueWait;
  if (q[high] === undefined || q[low] === undefined) {
    return {
      state: "pending",
      note: "the EPP accepted the config but exported no flow-control queue-wait histogram per priority",
      ...none,
    };
  }
  const h = q[high].p90;
  const l = q[low].p90;
  const ratio = h !== null && l !== null && l > 0 ? h / l : null;
  // Histogram buckets are coarse (10 s to 30 s is one bucket): judge on the bucket edges that are
  // worst for the target, high priority's upper edge over low priority's lower edge, when finite.
  const hiUpper = q[high].p90Bucket?.[1] ?? null;
  const loLower = q[low].p90Bucket?.[0] ?? null;
  const bound = hiUpper !== null && loLower !== null && loLower > 0 ? hiUpper / loLower : null;
  return {
    state: "measured",
    note: `rate ${top.rate}/s, EPP queue-wait histogram (all outcomes), priority ${high} vs ${low}`,
    highP90S: h,
    lowP90S: l,
    ratio: round(ratio),
    worstCaseRatio: bound === null ? null : Math.round(bound * 1000) / 1000,
    met: bound !== null ? bound <= 0.25 : ratio === null ? null : ratio <= 0.25,
  };
}

function round(v: number | null): number | null {
  return v === null ? null : Math.round(v * 100) / 100;
}

/** errorLine is the informative line of a start-up failure (the process's own message, not the wrapper's). */
export function errorLine(s: string): string {
  const lines = s.split("\n").map((l) => l.trim());
  return (
    lines.find((l) => l !== "" && !l.startsWith("epp:") && !l.startsWith("sim:") && !l.startsWith("devgw:")) ??
    lines[0] ??
    ""
  );
}
