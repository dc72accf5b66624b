import { describe, expect, it } from "vitest";
import { interTokenMs, type LatencyParams, loadFactor, prefillMs } from "./latency.js";

const params: LatencyParams = {
  prefillOverheadMs: 20,
  prefillMsPerToken: 0.25,
  interTokenMs: 12,
  loadFactorAtMax: 2,
  maxNumSeqs: 5,
};

describe("loadFactor", () => {
  it.each([
    { name: "idle counts as one", running: 0, want: 1 },
    { name: "one sequence", running: 1, want: 1 },
    { name: "half way", running: 3, want: 1.5 },
    { name: "full batch", running: 5, want: 2 },
    { name: "beyond the batch is capped", running: 9, want: 2 },
  ])("$name", ({ running, want }) => {
    expect(loadFactor(running, params)).toBeCloseTo(want, 9);
  });

  it("is 1 when only one sequence may run", () => {
    expect(loadFactor(4, { ...params, maxNumSeqs: 1 })).toBe(1);
  });
});

describe("prefillMs", () => {
  it.each([
    { name: "256 uncached tokens alone", uncached: 256, running: 1, want: 20 + 64 },
    { name: "fully cached prompt pays the overhead only", uncached: 0, running: 1, want: 20 },
    { name: "negative counts as zero", uncached: -5, running: 1, want: 20 },
    { name: "full batch doubles it", uncached: 256, running: 5, want: 2 * (20 + 64) },
  ])("$name", ({ uncached, running, want }) => {
    expect(prefillMs(uncached, running, params)).toBeCloseTo(want, 9);
  });
});

describe("interTokenMs", () => {
  it.each([
    { running: 1, want: 12 },
    { running: 3, want: 18 },
    { running: 5, want: 24 },
  ])("$running running → $want ms", ({ running, want }) => {
    expect(interTokenMs(running, params)).toBeCloseTo(want, 9);
  });
});
