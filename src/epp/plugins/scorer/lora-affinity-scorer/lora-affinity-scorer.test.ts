import { describe, expect, it } from "vitest";
import { endpoint, inferenceRequest, UNKNOWN_METRICS } from "../../../../../test/epp/support/scheduling.js";
import { LoraAffinityScorer } from "./lora-affinity-scorer.js";

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
    { name: "unknown metrics", m: UNKNOWN_METRICS, want: 0 },
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

  it("is an affinity scorer", () => {
    expect(new LoraAffinityScorer("lora").category).toBe("affinity");
  });
});
