import { describe, expect, it } from "vitest";
import { KvCacheUtilizationScorer } from "../../../src/epp/plugins/scorer/kv-cache-utilization-scorer/kv-cache-utilization-scorer.js";
import { LoraAffinityScorer } from "../../../src/epp/plugins/scorer/lora-affinity-scorer/lora-affinity-scorer.js";
import { QueueScorer } from "../../../src/epp/plugins/scorer/queue-scorer/queue-scorer.js";
import { RunningRequestsScorer } from "../../../src/epp/plugins/scorer/running-requests-scorer/running-requests-scorer.js";
import { endpoint, inferenceRequest, type MetricsInit, NOW } from "../support/scheduling.js";

/** UNKNOWN marks an endpoint that was never scraped. */
const UNKNOWN = null;

function scores(
  scorer: { score: (r: ReturnType<typeof inferenceRequest>, e: ReturnType<typeof endpoint>[]) => ArrayLike<number> },
  metrics: (MetricsInit | null)[],
  now = NOW,
) {
  const endpoints = metrics.map((m, i) => endpoint(i + 1, m));
  return Array.from(scorer.score(inferenceRequest({ now }), endpoints));
}

describe("queue-scorer", () => {
  it.each([
    { name: "min-max normalised, inverted", queues: [0, 5, 10], want: [1, 0.5, 0] },
    { name: "all equal gives 1", queues: [3, 3, 3], want: [1, 1, 1] },
    { name: "single endpoint gives 1", queues: [42], want: [1] },
    { name: "two endpoints", queues: [2, 6], want: [1, 0] },
  ])("$name", ({ queues, want }) => {
    const got = scores(
      new QueueScorer("q"),
      queues.map((waitingQueueSize) => ({ waitingQueueSize })),
    );
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
  });

  it("scores endpoints with unknown metrics 0, without moving the range of the others", () => {
    expect(scores(new QueueScorer("q"), [{ waitingQueueSize: 4 }, UNKNOWN, { waitingQueueSize: 8 }])).toEqual([
      1, 0, 0,
    ]);
  });

  it("treats metrics older than the staleness threshold as unknown", () => {
    const fresh = scores(new QueueScorer("q"), [
      { waitingQueueSize: 1 },
      { waitingQueueSize: 2, updatedAt: NOW - 5000 },
    ]);
    expect(fresh).toEqual([1, 0]);
  });
});

describe("running-requests-size-scorer", () => {
  it.each([
    { name: "min-max normalised, inverted", running: [1, 3, 5], want: [1, 0.5, 0] },
    { name: "all equal gives 1", running: [0, 0], want: [1, 1] },
  ])("$name", ({ running, want }) => {
    const scorer = new RunningRequestsScorer("r", "running-requests-size-scorer");
    const got = scores(
      scorer,
      running.map((runningRequestsSize) => ({ runningRequestsSize })),
    );
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
  });
});

describe("kv-cache-utilization-scorer", () => {
  it.each([
    { name: "different utilisation", usage: [0.8, 0.5, 0.0], want: [0.2, 0.5, 1.0] },
    { name: "full cache", usage: [1.0, 0.5], want: [0.0, 0.5] },
  ])("$name", ({ usage, want }) => {
    const got = scores(
      new KvCacheUtilizationScorer("kv"),
      usage.map((kvCacheUsagePercent) => ({ kvCacheUsagePercent })),
    );
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
  });

  it("scores unknown metrics 0", () => {
    expect(scores(new KvCacheUtilizationScorer("kv"), [UNKNOWN, { kvCacheUsagePercent: 0.25 }])).toEqual([0, 0.75]);
  });
});

describe("lora-affinity-scorer", () => {
  const target = "sql-lora";
  it.each([
    { name: "adapter running", m: { activeModels: [target], maxActiveModels: 1 }, want: 1.0 },
    { name: "room to load it", m: { activeModels: ["a"], maxActiveModels: 4 }, want: 0.8 },
    {
      name: "adapter waiting, no room",
      m: { activeModels: ["a"], waitingModels: [target], maxActiveModels: 2 },
      want: 0.6,
    },
    { name: "full, adapter elsewhere", m: { activeModels: ["a", "b"], maxActiveModels: 2 }, want: 0 },
    { name: "no LoRA capacity reported", m: {}, want: 0 },
    { name: "unknown metrics", m: UNKNOWN, want: 0 },
  ])("$name → $want", ({ m, want }) => {
    const scorer = new LoraAffinityScorer("lora");
    const got = scorer.score(inferenceRequest({ targetModel: target }), [endpoint(1, m)]);
    expect(got[0]).toBe(want);
  });

  it("uses the endpoint's declared maxLoras when the server reports no max_lora", () => {
    const scorer = new LoraAffinityScorer("lora");
    const got = scorer.score(inferenceRequest({ targetModel: target }), [
      endpoint(1, { activeModels: ["a"] }, { maxLoras: 2 }),
    ]);
    expect(got[0]).toBe(0.8);
  });
});
