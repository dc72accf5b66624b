import { describe, expect, it } from "vitest";
import { endpoint, inferenceRequest, keys, type MetricsInit, NOW } from "../../../../../test/epp/support/scheduling.js";
import { UtilizationDetector, utilizationDetectorType } from "./utilization-detector.js";

const DEFAULTS = { queueDepthThreshold: 5, kvCacheUtilThreshold: 0.8, metricsStalenessThreshold: 200, headroom: 0 };

describe("utilization-detector saturation", () => {
  it.each([
    { name: "idle pool", metrics: [{ waitingQueueSize: 0, kvCacheUsagePercent: 0 }], want: 0 },
    { name: "queue-bound endpoint", metrics: [{ waitingQueueSize: 5, kvCacheUsagePercent: 0.4 }], want: 1 },
    { name: "kv-bound endpoint", metrics: [{ waitingQueueSize: 1, kvCacheUsagePercent: 0.4 }], want: 0.5 },
    {
      name: "average over endpoints",
      metrics: [
        { waitingQueueSize: 10, kvCacheUsagePercent: 0 },
        { waitingQueueSize: 0, kvCacheUsagePercent: 0 },
      ],
      want: 1,
    },
    { name: "never scraped counts as 1", metrics: [null, { waitingQueueSize: 0 }], want: 0.5 },
    { name: "stale (older than 200ms) counts as 1", metrics: [{ waitingQueueSize: 0, updatedAt: NOW - 201 }], want: 1 },
    { name: "empty pool is saturated", metrics: [], want: 1 },
  ] as { name: string; metrics: (MetricsInit | null)[]; want: number }[])("$name → $want", ({ metrics, want }) => {
    const detector = new UtilizationDetector("u", DEFAULTS);
    expect(
      detector.saturation(
        metrics.map((m, i) => endpoint(i + 1, m)),
        NOW,
      ),
    ).toBeCloseTo(want, 6);
  });
});

describe("utilization-detector filter", () => {
  it.each([
    {
      name: "drops stale and over-threshold endpoints",
      params: DEFAULTS,
      metrics: [
        { waitingQueueSize: 6 },
        { waitingQueueSize: 5 },
        { kvCacheUsagePercent: 0.9 },
        { updatedAt: NOW - 500 },
      ],
      want: ["10.0.0.2:8000"],
    },
    {
      name: "headroom raises the thresholds",
      params: { ...DEFAULTS, headroom: 0.2 },
      metrics: [{ waitingQueueSize: 6 }, { kvCacheUsagePercent: 0.95 }],
      want: ["10.0.0.1:8000", "10.0.0.2:8000"],
    },
    {
      name: "keeps everyone when all would be dropped",
      params: DEFAULTS,
      metrics: [{ waitingQueueSize: 9 }, { waitingQueueSize: 7 }],
      want: ["10.0.0.1:8000", "10.0.0.2:8000"],
    },
  ])("$name", ({ params, metrics, want }) => {
    const detector = new UtilizationDetector("u", params);
    const all = metrics.map((m, i) => endpoint(i + 1, m));
    expect(keys(detector.filter(inferenceRequest(), all))).toEqual(want);
  });
});

describe("utilization-detector parameters", () => {
  it("defaults to the reference's thresholds, staleness in milliseconds", () => {
    expect(utilizationDetectorType.parameters.parse(undefined)).toEqual(DEFAULTS);
  });

  it.each([
    { name: "a Go duration", params: { metricsStalenessThreshold: "1.5s" }, want: { metricsStalenessThreshold: 1500 } },
    { name: "headroom", params: { headroom: 0.25 }, want: { headroom: 0.25 } },
  ])("reads $name", ({ params, want }) => {
    expect(utilizationDetectorType.parameters.parse(params)).toMatchObject(want);
  });

  it.each([
    { name: "a zero queue threshold", params: { queueDepthThreshold: 0 } },
    { name: "a KV threshold above 1", params: { kvCacheUtilThreshold: 1.5 } },
    { name: "a negative headroom", params: { headroom: -0.1 } },
    { name: "a duration without a unit", params: { metricsStalenessThreshold: "soon" } },
    { name: "an unknown key", params: { threshold: 5 } },
  ])("refuses $name", ({ params }) => {
    expect(utilizationDetectorType.parameters.safeParse(params).success).toBe(false);
  });
});
