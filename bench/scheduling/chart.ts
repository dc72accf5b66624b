import type { BenchPlan } from "./plan.js";
import { curve, type RunRecord } from "./targets.js";
import { PRIORITY_OBJECTIVES, type WorkloadName } from "./workloads.js";

// A hand-written SVG: one row per swept workload (p90 TTFT vs rate, throughput vs rate), then
// the priority mix as bars. No dependencies, readable in any browser or on GitHub.

const COLORS: Readonly<Record<string, string>> = {
  "round-robin": "#d62728",
  random: "#ff7f0e",
  "load-aware": "#1f77b4",
  default: "#2ca02c",
  "flow-control": "#9467bd",
};
const PANEL_W = 440;
const PANEL_H = 260;
const MARGIN = { left: 64, right: 16, top: 34, bottom: 46 };

interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number) =>
  Number.isInteger(v) || v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : String(Number(v.toPrecision(2)));

function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.round(t * 1e9) / 1e9);
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

/** linePanel draws series on x/y axes at (x0, y0); logY for latencies that explode past saturation. */
function linePanel(
  x0: number,
  y0: number,
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly Series[],
  logY: boolean,
  hline?: { value: number; label: string },
): string {
  const all = series.flatMap((s) => s.points);
  const out: string[] = [`<g transform="translate(${x0},${y0})">`];
  out.push(
    `<text x="${PANEL_W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  if (all.length === 0) {
    out.push(`<text x="${PANEL_W / 2}" y="${PANEL_H / 2}" text-anchor="middle" font-size="12">no data</text></g>`);
    return out.join("\n");
  }
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).concat(hline ? [hline.value] : []);
  const xMin = 0;
  const xMax = Math.max(...xs) * 1.05;
  const positive = ys.filter((v) => v > 0);
  const yMin = logY ? Math.max(1e-3, Math.min(...positive) / 1.5) : 0;
  const yMax = logY ? Math.max(...positive) * 1.5 : Math.max(...ys) * 1.1 || 1;
  const sx = (v: number) => MARGIN.left + ((v - xMin) / (xMax - xMin)) * w;
  const sy = (v: number) =>
    MARGIN.top +
    h -
    (logY
      ? ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * h
      : ((v - yMin) / (yMax - yMin)) * h);
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(xMin, xMax, 6)) {
    out.push(
      `<line x1="${sx(t)}" y1="${MARGIN.top + h}" x2="${sx(t)}" y2="${MARGIN.top + h + 4}" stroke="#999"/>`,
      `<text x="${sx(t)}" y="${MARGIN.top + h + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`,
    );
  }
  for (const t of logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax, 5)) {
    out.push(
      `<line x1="${MARGIN.left}" y1="${sy(t)}" x2="${MARGIN.left + w}" y2="${sy(t)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<text x="${MARGIN.left + w / 2}" y="${PANEL_H - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text transform="translate(14,${MARGIN.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
  );
  if (hline) {
    out.push(
      `<line x1="${MARGIN.left}" y1="${sy(hline.value)}" x2="${MARGIN.left + w}" y2="${sy(hline.value)}" stroke="#555" stroke-dasharray="5,4"/>`,
      `<text x="${MARGIN.left + 4}" y="${sy(hline.value) - 4}" font-size="10" fill="#555">${esc(hline.label)}</text>`,
    );
  }
  for (const s of series) {
    const color = COLORS[s.name] ?? "#333";
    if (s.points.length > 1) {
      const d = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const p of s.points) {
      out.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    }
  }
  out.push("</g>");
  return out.join("\n");
}

interface Bar {
  readonly value: number | null;
  /** Shown instead of a bar when there is no value (e.g. every request was refused). */
  readonly note?: string;
}

/** barPanel draws grouped bars on a log axis: one group per label, one bar per policy. */
function barPanel(
  x0: number,
  y0: number,
  title: string,
  yLabel: string,
  groups: readonly string[],
  policies: readonly string[],
  bar: (policy: string, group: number) => Bar,
): string {
  const out: string[] = [`<g transform="translate(${x0},${y0})">`];
  out.push(
    `<text x="${PANEL_W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const values = policies
    .flatMap((p) => groups.map((_, g) => bar(p, g).value))
    .filter((v): v is number => v !== null && v > 0);
  if (values.length === 0) {
    out.push(`<text x="${PANEL_W / 2}" y="${PANEL_H / 2}" text-anchor="middle" font-size="12">no data</text></g>`);
    return out.join("\n");
  }
  const yMin = Math.min(...values) / 2;
  const yMax = Math.max(...values) * 1.5;
  const sy = (v: number) =>
    MARGIN.top + h - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * h;
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of logTicks(yMin, yMax)) {
    out.push(
      `<line x1="${MARGIN.left}" y1="${sy(t)}" x2="${MARGIN.left + w}" y2="${sy(t)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(14,${MARGIN.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
  );
  const groupW = w / groups.length;
  const barW = Math.min(40, (groupW * 0.8) / Math.max(1, policies.length));
  for (const [gi, label] of groups.entries()) {
    const gx = MARGIN.left + gi * groupW + (groupW - barW * policies.length) / 2;
    out.push(
      `<text x="${MARGIN.left + gi * groupW + groupW / 2}" y="${MARGIN.top + h + 16}" text-anchor="middle" font-size="11">${esc(label)}</text>`,
    );
    for (const [pi, policy] of policies.entries()) {
      const b = bar(policy, gi);
      const x = gx + pi * barW;
      if (b.value === null || b.value <= 0) {
        if (b.note) {
          out.push(
            `<text transform="translate(${(x + barW / 2 + 3).toFixed(1)},${MARGIN.top + h - 4}) rotate(-90)" font-size="10" fill="${COLORS[policy] ?? "#333"}">${esc(b.note)}</text>`,
          );
        }
        continue;
      }
      const y = sy(Math.max(b.value, yMin));
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(MARGIN.top + h - y).toFixed(1)}" fill="${COLORS[policy] ?? "#333"}"/>`,
      );
    }
  }
  out.push("</g>");
  return out.join("\n");
}

/** priorityPanels: p90 TTFT per objective (flow control off and on), and the EPP's queue wait per priority. */
function priorityPanels(y0: number, records: readonly RunRecord[]): string {
  const runs = records.filter((r) => r.workload === "priority" && r.metrics);
  const rate = Math.max(...runs.map((r) => r.rate));
  const atRate = runs.filter((r) => r.rate === rate);
  const policies = [...new Set(atRate.map((r) => r.policy))];
  const metricsOf = (policy: string) => atRate.find((r) => r.policy === policy)?.metrics;
  const ttft = barPanel(
    0,
    y0,
    `priority mix at ${rate} req/s: p90 TTFT`,
    "p90 TTFT (s, log)",
    PRIORITY_OBJECTIVES.map((o) => o.objective),
    policies,
    (policy, g) => {
      const m = metricsOf(policy);
      const cls = PRIORITY_OBJECTIVES[g]!.objective;
      const value = m?.ttftByClass[cls]?.p90 ?? null;
      const refused = m?.statusesByClass[cls]?.["429"] ?? 0;
      return value === null && refused > 0 ? { value, note: `all ${refused} refused (429)` } : { value };
    },
  );
  const fc = policies.filter((p) => Object.keys(metricsOf(p)?.queueWait ?? {}).length > 0);
  const wait = barPanel(
    PANEL_W + 20,
    y0,
    `EPP flow-control queue wait p90 at ${rate} req/s`,
    "p90 queue wait (s, log)",
    PRIORITY_OBJECTIVES.map((o) => `priority ${o.priority}`),
    fc,
    (policy, g) => ({ value: metricsOf(policy)?.queueWait[String(PRIORITY_OBJECTIVES[g]!.priority)]?.p90 ?? null }),
  );
  return `${ttft}\n${wait}`;
}

/** renderChart is the whole figure. */
export function renderChart(records: readonly RunRecord[], plan: BenchPlan): string {
  const swept = plan.sweeps.filter((s) => s.workload.name !== "priority" && s.rates.length > 0);
  const policies = [...new Set(records.map((r) => r.policy))];
  const rows = swept.length + (records.some((r) => r.workload === "priority" && r.metrics) ? 1 : 0);
  const width = PANEL_W * 2 + 20;
  const legendH = 30;
  const height = legendH + rows * (PANEL_H + 10) + 38;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>Scheduling benchmark (${plan.mode} run): p90 TTFT and output throughput vs request rate per routing policy; priority mix with flow control off and on</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  policies.forEach((p, i) => {
    const x = 20 + i * 150;
    out.push(
      `<rect x="${x}" y="10" width="14" height="14" fill="${COLORS[p] ?? "#333"}"/>`,
      `<text x="${x + 20}" y="22" font-size="13">${esc(p)}</text>`,
    );
  });
  let y = legendH;
  for (const sweep of swept) {
    const name: WorkloadName = sweep.workload.name;
    const series = (pick: (p: { rate: number; throughput: number; ttftP90: number }) => number) =>
      policies
        .map((p) => ({ name: p, points: curve(records, name, p).map((c) => [c.rate, pick(c)] as const) }))
        .filter((s) => s.points.length > 0);
    out.push(
      linePanel(
        0,
        y,
        `${name}: p90 TTFT vs request rate`,
        "requests/s (simulated)",
        "p90 TTFT (s, log)",
        series((c) => c.ttftP90),
        true,
        {
          value: plan.ttftSloS,
          label: `SLO ${plan.ttftSloS}s`,
        },
      ),
      linePanel(
        PANEL_W + 20,
        y,
        `${name}: output throughput`,
        "requests/s (simulated)",
        "output tokens/s",
        series((c) => c.throughput),
        false,
      ),
    );
    y += PANEL_H + 10;
  }
  if (rows > swept.length) out.push(priorityPanels(y, records));
  out.push(
    `<text x="10" y="${height - 8}" font-size="10" fill="#777">priority mix: default = flow control off (sheddable refused with 429 when saturated); flow-control = default profile + featureGates [flowControl]</text>`,
    `<text x="10" y="${height - 22}" font-size="10" fill="#777">inference-bbr bench/scheduling, ${plan.mode} run; simulated time (time scale ${plan.pool.timeScale})</text>`,
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}
