import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../../test/epp/support/random.js";
import {
  inferenceRequest,
  keys,
  scoredEndpoints,
  tallyFirstPicks,
} from "../../../../../test/epp/support/scheduling.js";
import { MaxScorePicker } from "./max-score-picker.js";

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
    expect(keys(picker.pick(request, scoredEndpoints(scores)).targetEndpoints)).toEqual(want);
  });

  it.each([1, 2])("breaks ties at random among the best only (maxNumOfEndpoints %i)", (max) => {
    const picker = new MaxScorePicker("p", max, seededRandom(3));
    const candidates = scoredEndpoints([0.5, 1, 1, 0.2, 1]);
    const counts = tallyFirstPicks(() => keys(picker.pick(request, candidates).targetEndpoints), 600);
    expect([...counts.keys()].sort()).toEqual(["10.0.0.2:8000", "10.0.0.3:8000", "10.0.0.5:8000"]);
    for (const n of counts.values()) expect(n).toBeGreaterThan(120); // about 200 each
  });

  it("returns nothing for no candidates", () => {
    expect(new MaxScorePicker("p", 1, Math.random).pick(request, []).targetEndpoints).toEqual([]);
  });
});
