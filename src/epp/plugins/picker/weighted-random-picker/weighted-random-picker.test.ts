import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../../test/epp/support/random.js";
import {
  inferenceRequest,
  keys,
  scoredEndpoints,
  tallyFirstPicks,
} from "../../../../../test/epp/support/scheduling.js";
import { WeightedRandomPicker } from "./weighted-random-picker.js";

const request = inferenceRequest();

describe("weighted-random-picker", () => {
  it("never picks a zero-score endpoint first while a positive one exists", () => {
    const picker = new WeightedRandomPicker("w", 1, seededRandom(11));
    const pick = () => keys(picker.pick(request, scoredEndpoints([0, 0.5, 0, 0.5])).targetEndpoints);
    const counts = tallyFirstPicks(pick, 400);
    expect([...counts.keys()].sort()).toEqual(["10.0.0.2:8000", "10.0.0.4:8000"]);
  });

  it("picks in proportion to score", () => {
    const picker = new WeightedRandomPicker("w", 1, seededRandom(13));
    const counts = tallyFirstPicks(() => keys(picker.pick(request, scoredEndpoints([3, 1])).targetEndpoints), 2000);
    const share = (counts.get("10.0.0.1:8000") ?? 0) / 2000;
    expect(share).toBeGreaterThan(0.68); // expected 0.75
    expect(share).toBeLessThan(0.82);
  });

  it("falls back to a uniform pick when every score is 0, filling maxNumOfEndpoints", () => {
    const picker = new WeightedRandomPicker("w", 2, seededRandom(17));
    const got = keys(picker.pick(request, scoredEndpoints([0, 0, 0])).targetEndpoints);
    expect(got).toHaveLength(2);
    expect(new Set(got).size).toBe(2);
  });

  it("fills the fallback list with zero-score endpoints after the positive ones", () => {
    const picker = new WeightedRandomPicker("w", 3, seededRandom(19));
    const got = keys(picker.pick(request, scoredEndpoints([0, 1, 0])).targetEndpoints);
    expect(got[0]).toBe("10.0.0.2:8000");
    expect(got.slice(1).sort()).toEqual(["10.0.0.1:8000", "10.0.0.3:8000"]);
  });
});
