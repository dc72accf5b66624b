import { describe, expect, it } from "vitest";
import { ModelFilter, servesModel } from "../../../src/epp/plugins/filter/model-filter/model-filter.js";
import { UtilizationDetector } from "../../../src/epp/plugins/saturation/utilization-detector/utilization-detector.js";
import { endpoint, inferenceRequest, keys, type MetricsInit, NOW } from "../support/scheduling.js";

describe("model-filter", () => {
  it.each([
    { name: "declares nothing: serves any model", md: {}, m: {}, model: "anything", want: true },
    { name: "declares the base model", md: { models: ["llama"] }, m: {}, model: "llama", want: true },
    { name: "declares another base model", md: { models: ["llama"] }, m: {}, model: "qwen", want: false },
    { name: "declares the adapter", md: { models: ["llama"], loraAdapters: ["sql"] }, m: {}, model: "sql", want: true },
    {
      name: "runs the adapter (metrics)",
      md: { models: ["llama"] },
      m: { activeModels: ["sql"] },
      model: "sql",
      want: true,
    },
    {
      name: "has the adapter waiting (metrics)",
      md: { models: ["llama"] },
      m: { waitingModels: ["sql"] },
      model: "sql",
      want: true,
    },
    { name: "declares adapters only", md: { loraAdapters: ["sql"] }, m: {}, model: "llama", want: false },
  ])("$name → $want", ({ md, m, model, want }) => {
    expect(servesModel(endpoint(1, m, md), model)).toBe(want);
  });

  it("keeps only endpoints serving the target model, in order, and returns the input when nothing is removed", () => {
    const filter = new ModelFilter("f");
    const all = [
      endpoint(1, {}, { models: ["a"] }),
      endpoint(2, {}, { models: ["b"] }),
      endpoint(3, {}, {}),
      endpoint(4, {}, { models: ["a"] }),
    ];
    expect(keys(filter.filter(inferenceRequest({ targetModel: "a" }), all))).toEqual([
      "10.0.0.1:8000",
      "10.0.0.3:8000",
      "10.0.0.4:8000",
    ]);
    const same = [all[0]!, all[2]!];
    expect(filter.filter(inferenceRequest({ targetModel: "a" }), same)).toBe(same);
  });

  it("names a 503 model_not_served outcome when it drains every candidate", () => {
    expect(new ModelFilter("f").drainedError(inferenceRequest({ targetModel: "x" }))).toEqual({
      code: "ServiceUnavailable",
      reason: "model_not_served",
      message: 'no ready endpoint serves model "x"',
    });
  });
});

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
