import type { BenchPlan } from "./plan.js";
import type { Distribution, RunMetrics } from "./runner.js";
import { errorLine, priorityTarget, type RunRecord, sloTable, throughputTarget } from "./targets.js";
import { PRIORITY_OBJECTIVES, type WorkloadName } from "./workloads.js";

export type { RunRecord } from "./targets.js";

const s = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "–" : v.toFixed(digits));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);

function errors(m: RunMetrics): string {
  const other = Object.entries(m.statuses)
    .filter(([k]) => k !== "200" && k !== "429" && k !== "503")
    .map(([k, n]) => `${k}×${n}`);
  return other.length > 0 ? other.join(" ") : "0";
}

function sweepTable(records: readonly RunRecord[], workload: string, classes: readonly string[]): string[] {
  const runs = records.filter((r) => r.workload === workload);
  const byClass = classes.length > 0;
  const lines = [
    "| policy | rate/s | output tok/s | done/s | TTFT p50 | TTFT p90 | e2e p90 | cache hit | 429 | 503 | other errors | unfinished |" +
      (byClass ? ` TTFT p90 ${classes.join(" / ")} |` : ""),
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|${byClass ? "---:|" : ""}`,
  ];
  for (const r of runs) {
    if (!r.metrics) {
      lines.push(`| ${r.policy} | ${r.rate} | ${notRun(r)} |||||||||| |${byClass ? " |" : ""}`);
      continue;
    }
    const m = r.metrics;
    const perClass = byClass ? ` ${classes.map((c) => s(m.ttftByClass[c]?.p90)).join(" / ")} |` : "";
    lines.push(
      `| ${r.policy} | ${r.rate} | ${m.throughput.toFixed(0)} | ${s(m.goodput, 1)} | ${s(m.ttft.p50)} | ${s(m.ttft.p90)} | ` +
        `${s(m.e2e.p90)} | ${pct(m.cacheHitRatio)} | ${m.statuses["429"] ?? 0} | ${m.statuses["503"] ?? 0} | ${errors(m)} | ${m.unfinished} |` +
        perClass,
    );
  }
  return lines;
}

function notRun(r: RunRecord): string {
  return r.skipped ? `skipped: ${r.skipped}` : `not run: ${errorLine(r.error ?? "")}`;
}

function dist(d: Distribution | undefined): string {
  return d ? `${s(d.p50)} / ${s(d.p90)}` : "–";
}

function priorityTables(records: readonly RunRecord[]): string[] {
  const runs = records.filter((r) => r.workload === "priority");
  const lines = [
    "| policy | rate/s | objective (priority) | sent | 200 | 429 | 503 | unfinished | TTFT p50 / p90 | EPP queue wait p50 / p90 [p90 bucket] | max EPP queue |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of runs) {
    if (!r.metrics) {
      lines.push(`| ${r.policy} | ${r.rate} | ${notRun(r)} |||||||| |`);
      continue;
    }
    const m = r.metrics;
    for (const o of PRIORITY_OBJECTIVES) {
      const st = m.statusesByClass[o.objective] ?? {};
      const sent = Object.values(st).reduce((a, b) => a + b, 0);
      const q = m.queueWait[String(o.priority)];
      lines.push(
        `| ${r.policy} | ${r.rate} | ${o.objective} (${o.priority}) | ${sent} | ${st["200"] ?? 0} | ${st["429"] ?? 0} | ${st["503"] ?? 0} | ` +
          `${st["timeout"] ?? 0} | ${dist(m.ttftByClass[o.objective])} | ${q ? `${s(q.p50)} / ${s(q.p90)}${q.p90Bucket ? ` [${s(q.p90Bucket[0])}, ${q.p90Bucket[1] === null ? "∞" : s(q.p90Bucket[1])}]` : ""}` : "–"} | ` +
          `${m.maxQueueSize[String(o.priority)] ?? "–"} |`,
      );
    }
  }
  return lines;
}

const SLOS = [1, 2, 4];

/** sloLines: output tokens/s each policy sustains under several p90 TTFT objectives, and the ratio to round-robin. */
function sloLines(records: readonly RunRecord[], workload: WorkloadName): string[] {
  const rows = sloTable(records, workload, SLOS);
  const rr = rows.find((r) => r.policy === "round-robin");
  const cell = (
    v: { throughput: number; capped: boolean } | null,
    base: { throughput: number; capped: boolean } | null | undefined,
  ) => {
    if (!v) return "–";
    const ratio = base && base.throughput > 0 ? ` (${(v.throughput / base.throughput).toFixed(2)}×)` : "";
    return `${v.throughput.toFixed(0)}${v.capped ? "+" : ""}${ratio}`;
  };
  return [
    `Output tokens/s sustained with p90 TTFT ≤ objective (interpolated between rates; \`+\`: held at every rate swept, a lower bound; ratio to round-robin in brackets):`,
    "",
    `| policy | ${SLOS.map((x) => `p90 ≤ ${x} s`).join(" | ")} |`,
    `|---|${SLOS.map(() => "---:").join("|")}|`,
    ...rows.map((r) => `| ${r.policy} | ${r.atSlo.map((v, i) => cell(v, rr?.atSlo[i])).join(" | ")} |`),
  ];
}

/** renderSummary is the Markdown results summary (bench/results/*.md, bench/scheduling/results.md). */
export function renderSummary(
  result: { startedAt: string; wallSeconds: number },
  records: readonly RunRecord[],
  plan: BenchPlan,
): string {
  const t1 = throughputTarget(records, plan.ttftSloS);
  const t2 = priorityTarget(records);
  const p = plan.pool;
  const out: string[] = [
    `# Scheduling benchmark results (${plan.mode} run)`,
    "",
    `Run ${result.startedAt}, ${result.wallSeconds} s wall clock. Pool: one \`sim\` process, ${p.replicas} replicas × ` +
      `max-num-seqs ${p.maxNumSeqs}, ${p.kvBlocks} KV blocks of ${p.blockSize} tokens, default latencies, ` +
      `time scale ${p.timeScale}. EPP --refresh-metrics-interval ${plan.refreshMetricsInterval} (wall clock).`,
    "All times and rates are **simulated** (wall clock ÷ time scale). TTFT is measured by the client: send to the",
    'first SSE event with content. "cache hit" is the share of prompt tokens the simulator served from its prefix',
    'cache (usage.prompt_tokens_details.cached_tokens). "unfinished" requests were still waiting when the run',
    "cancelled them; their TTFT counts as the time they had waited (a lower bound).",
    "",
    "## Targets",
    "",
  ];
  const atSlo = Object.entries(t1.atSlo)
    .map(([k, v]) => `${k} ${v ? `${v.throughput.toFixed(0)}${v.capped ? "+" : ""}` : "–"}`)
    .join(", ");
  out.push(
    `- **Default ≥ 2× round-robin throughput at equal p90 TTFT (shared prefix)**: ${
      t1.met === null ? "not measured" : t1.met ? "met" : "not met"
    }. Output tokens/s sustained with p90 TTFT ≤ ${t1.sloS} s: ${atSlo} (\`+\` marks a lower bound: the SLO held at every rate swept) → ` +
      `default / round-robin = **${s(t1.ratio)}×**. Peak throughput (capacity) ratio: ${s(t1.peakRatio)}×.`,
    `- **High-priority p90 queue wait ≤ 0.25× low-priority with flow control (overload)**: ${
      t2.state === "measured"
        ? `${t2.met ? "met" : "not met"}: critical ${s(t2.highP90S, 3)} s vs sheddable ${s(t2.lowP90S, 3)} s = ${s(t2.ratio)}×` +
          `${t2.worstCaseRatio === null ? "" : `, ≤ ${s(t2.worstCaseRatio, 3)}× from the p90 buckets' least favourable edges`} (${t2.note}).`
        : `${t2.state}: ${t2.note}.`
    }`,
    "",
  );
  for (const sweep of plan.sweeps) {
    if (sweep.rates.length === 0 || sweep.policies.length === 0) continue;
    out.push(`## ${sweep.workload.name}`, "", `${sweep.workload.description}.`, "");
    if (sweep.workload.name !== "priority") out.push(...sloLines(records, sweep.workload.name), "");
    out.push(
      ...(sweep.workload.name === "priority"
        ? priorityTables(records)
        : sweepTable(records, sweep.workload.name, sweep.workload.classes)),
      "",
    );
  }
  return `${out.join("\n")}\n`;
}
