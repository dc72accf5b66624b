import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../../test/epp/support/random.js";
import {
  inferenceRequest,
  keys,
  scoredEndpoints,
  tallyFirstPicks,
} from "../../../../../test/epp/support/scheduling.js";
import { RandomPicker } from "./random-picker.js";

const request = inferenceRequest();

describe("random-picker", () => {
  it("returns distinct endpoints, as many as asked, ignoring scores", () => {
    const picker = new RandomPicker("r", 3, seededRandom(5));
    const got = keys(picker.pick(request, scoredEndpoints([0, 0, 1, 0, 0])).targetEndpoints);
    expect(got).toHaveLength(3);
    expect(new Set(got).size).toBe(3);
  });

  it("spreads picks over every candidate", () => {
    const picker = new RandomPicker("r", 1, seededRandom(9));
    const counts = tallyFirstPicks(() => keys(picker.pick(request, scoredEndpoints([1, 0, 0])).targetEndpoints), 600);
    expect(counts.size).toBe(3);
    for (const n of counts.values()) expect(n).toBeGreaterThan(120);
  });
});
