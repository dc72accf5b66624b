import { describe, expect, it } from "vitest";
import { renderChart } from "./chart.js";
import { planFor } from "./plan.js";
import { renderSummary } from "./report.js";
import type { QueueWait, RunMetrics } from "./runner.js";
import { priorityTarget, type RunRecord, throughputTarget } from "./targets.js";

function metrics(throughput: number, ttftP90: number, extra: Partial<RunMetrics> = {}): RunMetrics {
  const d = { n: 10, p50: ttftP90 / 2, p90: ttftP90, p99: ttftP90, mean: ttftP90 / 2 };
  return {
    sent: 10,
    measured: 10,
    ok: 10,
    statuses: { "200": 10 },
    errorCodes: {},
    unfinished: 0,
    throughput,
    goodput: 1,
    ttft: d,
    e2e: d,
    ttftByClass: {},
    statusesByClass: {},
    cacheHitRatio: 0.5,
    perEndpoint: {},
    sim: { prefixHitRatio: 0.5, requestsSucceeded: 10 },
    queueWait: {},
    maxQueueSize: {},
    wallSeconds: 1,
    ...extra,
  };
}

const sweep = (policy: string, points: [number, number, number][]): RunRecord[] =>
  points.map(([rate, throughput, p90]) => ({
    workload: "shared-prefix",
    policy,
    rate,
    metrics: metrics(throughput, p90),
  }));

describe("throughputTarget", () => {
  it.each([
    {
      name: "met: default sustains 3× round-robin under the SLO",
      records: [
        ...sweep("round-robin", [
          [4, 100, 1],
          [8, 200, 3],
        ]),
        ...sweep("default", [
          [4, 100, 0.1],
          [8, 200, 0.2],
          [16, 500, 1.5],
          [24, 600, 2.5],
        ]),
      ],
      want: { ratio: 3.67, met: true, peakRatio: 3 },
    },
    {
      name: "not met: both knees at the same place",
      records: [
        ...sweep("round-robin", [
          [4, 100, 1],
          [8, 200, 3],
        ]),
        ...sweep("default", [
          [4, 100, 1],
          [8, 200, 3],
        ]),
      ],
      want: { ratio: 1, met: false, peakRatio: 1 },
    },
    {
      name: "inconclusive: default held the SLO everywhere and is below 2×",
      records: [
        ...sweep("round-robin", [
          [4, 100, 1],
          [8, 200, 3],
        ]),
        ...sweep("default", [
          [4, 100, 1],
          [8, 200, 1.5],
        ]),
      ],
      want: { ratio: 1.33, met: null, peakRatio: 1 },
    },
    {
      name: "not measured without round-robin",
      records: sweep("default", [[4, 100, 1]]),
      want: { ratio: null, met: null, peakRatio: null },
    },
  ])("$name", ({ records, want }) => {
    expect(throughputTarget(records, 2)).toMatchObject(want);
  });
});

const queue = (p90: number, bucket: [number, number | null] | null = null): QueueWait => ({
  count: 10,
  p50: p90 / 2,
  p90,
  mean: p90 / 2,
  p90Bucket: bucket,
  outcomes: { dispatched: 10 },
});

describe("priorityTarget", () => {
  it.each([
    { name: "not run", records: [], want: { state: "not-run", met: null } },
    {
      name: "pending when the EPP refused the config",
      records: [
        {
          workload: "priority",
          policy: "flow-control",
          rate: 36,
          error:
            'epp: exited (code 1) before it was ready\nepp: invalid configuration\nx.yaml: featureGates[0]: feature gate "flowControl" is not implemented by this EPP',
        },
      ],
      want: {
        state: "pending",
        met: null,
        note: 'the EPP did not start with the flow-control config: x.yaml: featureGates[0]: feature gate "flowControl" is not implemented by this EPP',
      },
    },
    {
      name: "met at the highest rate",
      records: [
        {
          workload: "priority",
          policy: "flow-control",
          rate: 24,
          metrics: metrics(1, 1, { queueWait: { "10": queue(4), "-1": queue(4) } }),
        },
        {
          workload: "priority",
          policy: "flow-control",
          rate: 36,
          metrics: metrics(1, 1, { queueWait: { "10": queue(0.5), "-1": queue(10) } }),
        },
      ],
      want: { state: "measured", highP90S: 0.5, lowP90S: 10, ratio: 0.05, met: true },
    },
    {
      name: "not met",
      records: [
        {
          workload: "priority",
          policy: "flow-control",
          rate: 36,
          metrics: metrics(1, 1, { queueWait: { "10": queue(5), "-1": queue(10) } }),
        },
      ],
      want: { state: "measured", ratio: 0.5, met: false },
    },
    {
      name: "judged on the bucket edges least favourable to the target",
      records: [
        {
          workload: "priority",
          policy: "flow-control",
          rate: 36,
          metrics: metrics(1, 1, { queueWait: { "10": queue(0.3, [0.2, 0.5]), "-1": queue(4, [1, 5]) } }),
        },
      ],
      want: { state: "measured", ratio: 0.08, worstCaseRatio: 0.5, met: false },
    },
    {
      name: "a low-priority bucket starting at 0 falls back to the interpolated ratio",
      records: [
        {
          workload: "priority",
          policy: "flow-control",
          rate: 36,
          metrics: metrics(1, 1, { queueWait: { "10": queue(0.3, [0.2, 0.5]), "-1": queue(60, [0, 100]) } }),
        },
      ],
      want: { state: "measured", ratio: 0.01, worstCaseRatio: null, met: true },
    },
    {
      name: "pending without the histogram",
      records: [{ workload: "priority", policy: "flow-control", rate: 36, metrics: metrics(1, 1) }],
      want: { state: "pending", met: null },
    },
  ] as { name: string; records: RunRecord[]; want: object }[])("$name", ({ records, want }) => {
    expect(priorityTarget(records)).toMatchObject(want);
  });
});

describe("renderChart and renderSummary", () => {
  it("render every policy, the SLO line and the verdicts without NaN", () => {
    const records: RunRecord[] = [
      ...sweep("round-robin", [
        [4, 100, 1],
        [8, 200, 3],
      ]),
      ...sweep("default", [
        [4, 100, 0.1],
        [8, 200, 0.2],
      ]),
      { workload: "shared-prefix", policy: "random", rate: 8, skipped: "p90 TTFT already 12 s at 4/s" },
      {
        workload: "priority",
        policy: "flow-control",
        rate: 36,
        metrics: metrics(1, 1, { queueWait: { "10": queue(0.5), "-1": queue(10) } }),
      },
    ];
    const plan = planFor("quick");
    const svg = renderChart(records, plan);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).not.toContain("NaN");
    for (const p of ["round-robin", "default", "SLO 2s"]) expect(svg).toContain(p);
    const md = renderSummary({ startedAt: "2026-01-01T00:00:00.000Z", wallSeconds: 1 }, records, plan);
    expect(md).not.toContain("NaN");
    expect(md).toContain("default / round-robin = **");
    expect(md).toContain("| random | 8 | skipped: p90 TTFT already 12 s at 4/s |");
    expect(md).toContain("met: critical 0.500 s vs sheddable 10.000 s = 0.05×");
  });
});
