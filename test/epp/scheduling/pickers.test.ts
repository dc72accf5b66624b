import { describe, expect, it } from "vitest";
import type { ScoredEndpoint } from "../../../src/epp/api/scheduling.js";
import { MaxScorePicker } from "../../../src/epp/plugins/picker/max-score-picker/max-score-picker.js";
import { RandomPicker } from "../../../src/epp/plugins/picker/random-picker/random-picker.js";
import { WeightedRandomPicker } from "../../../src/epp/plugins/picker/weighted-random-picker/weighted-random-picker.js";
import { seededRandom } from "../support/random.js";
import { endpoint, inferenceRequest, keys } from "../support/scheduling.js";

function scored(values: number[]): ScoredEndpoint[] {
  return values.map((score, i) => ({ endpoint: endpoint(i + 1), score }));
}

function tally(pick: () => string[], runs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    const first = pick()[0]!;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return counts;
}

const request = inferenceRequest();

describe("max-score-picker", () => {
  it.each([
    { name: "highest score", scores: [0.1, 0.9, 0.5], max: 1, want: ["10.0.0.2:8000"] },
    {
      name: "top three, best first",
      scores: [0.1, 0.9, 0.5, 0.7],
      max: 3,
      want: ["10.0.0.2:8000", "10.0.0.4:8000", "10.0.0.3:8000"],
    },
    { name: "fewer candidates than asked", scores: [0.2, 0.4], max: 5, want: ["10.0.0.2:8000", "10.0.0.1:8000"] },
  ])("$name", ({ scores, max, want }) => {
    const picker = new MaxScorePicker("p", max, seededRandom(1));
    expect(keys(picker.pick(request, scored(scores)).targetEndpoints)).toEqual(want);
  });

  it.each([1, 2])("breaks ties at random among the best only (maxNumOfEndpoints %i)", (max) => {
    const picker = new MaxScorePicker("p", max, seededRandom(3));
    const candidates = scored([0.5, 1, 1, 0.2, 1]);
    const counts = tally(() => keys(picker.pick(request, candidates).targetEndpoints), 600);
    expect([...counts.keys()].sort()).toEqual(["10.0.0.2:8000", "10.0.0.3:8000", "10.0.0.5:8000"]);
    for (const n of counts.values()) expect(n).toBeGreaterThan(120); // about 200 each
  });

  it("returns nothing for no candidates", () => {
    expect(new MaxScorePicker("p", 1, Math.random).pick(request, []).targetEndpoints).toEqual([]);
  });
});

describe("random-picker", () => {
  it("returns distinct endpoints, as many as asked, ignoring scores", () => {
    const picker = new RandomPicker("r", 3, seededRandom(5));
    const got = keys(picker.pick(request, scored([0, 0, 1, 0, 0])).targetEndpoints);
    expect(got).toHaveLength(3);
    expect(new Set(got).size).toBe(3);
  });

  it("spreads picks over every candidate", () => {
    const picker = new RandomPicker("r", 1, seededRandom(9));
    const counts = tally(() => keys(picker.pick(request, scored([1, 0, 0])).targetEndpoints), 600);
    expect(counts.size).toBe(3);
    for (const n of counts.values()) expect(n).toBeGreaterThan(120);
  });
});

describe("weighted-random-picker", () => {
  it("never picks a zero-score endpoint first while a positive one exists", () => {
    const picker = new WeightedRandomPicker("w", 1, seededRandom(11));
    const counts = tally(() => keys(picker.pick(request, scored([0, 0.5, 0, 0.5])).targetEndpoints), 400);
    expect([...counts.keys()].sort()).toEqual(["10.0.0.2:8000", "10.0.0.4:8000"]);
  });

  it("picks in proportion to score", () => {
    const picker = new WeightedRandomPicker("w", 1, seededRandom(13));
    const counts = tally(() => keys(picker.pick(request, scored([3, 1])).targetEndpoints), 2000);
    const share = (counts.get("10.0.0.1:8000") ?? 0) / 2000;
    expect(share).toBeGreaterThan(0.68); // expected 0.75
    expect(share).toBeLessThan(0.82);
  });

  it("falls back to a uniform pick when every score is 0, filling maxNumOfEndpoints", () => {
    const picker = new WeightedRandomPicker("w", 2, seededRandom(17));
    const got = keys(picker.pick(request, scored([0, 0, 0])).targetEndpoints);
    expect(got).toHaveLength(2);
    expect(new Set(got).size).toBe(2);
  });

  it("fills the fallback list with zero-score endpoints after the positive ones", () => {
    const picker = new WeightedRandomPicker("w", 3, seededRandom(19));
    const got = keys(picker.pick(request, scored([0, 1, 0])).targetEndpoints);
    expect(got[0]).toBe("10.0.0.2:8000");
    expect(got.slice(1).sort()).toEqual(["10.0.0.1:8000", "10.0.0.3:8000"]);
  });
});
