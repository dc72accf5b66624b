import { describe, expect, it } from "vitest";
import { scoresFor, UNKNOWN_METRICS } from "../../../../../test/epp/support/scheduling.js";
import { KvCacheUtilizationScorer } from "./kv-cache-utilization-scorer.js";

describe("kv-cache-utilization-scorer", () => {
  it.each([
    { name: "different utilisation", usage: [0.8, 0.5, 0.0], want: [0.2, 0.5, 1.0] },
    { name: "full cache", usage: [1.0, 0.5], want: [0.0, 0.5] },
  ])("$name", ({ usage, want }) => {
    const got = scoresFor(
      new KvCacheUtilizationScorer("kv"),
      usage.map((kvCacheUsagePercent) => ({ kvCacheUsagePercent })),
    );
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
  });

  it("scores unknown metrics 0", () => {
    expect(scoresFor(new KvCacheUtilizationScorer("kv"), [UNKNOWN_METRICS, { kvCacheUsagePercent: 0.25 }])).toEqual([
      0, 0.75,
    ]);
  });
});
