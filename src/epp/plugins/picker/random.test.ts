import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/epp/support/random.js";
import { keys, scoredEndpoints } from "../../../../test/epp/support/scheduling.js";
import { shuffleInPlace, uniformSample } from "./random.js";

describe("shuffleInPlace", () => {
  it.each([
    { name: "a full shuffle keeps every item", items: [1, 2, 3, 4, 5], count: undefined },
    { name: "a partial shuffle keeps every item", items: [1, 2, 3, 4, 5], count: 2 },
    { name: "a count past the length", items: [1, 2], count: 9 },
    { name: "one item", items: [7], count: 1 },
    { name: "no items", items: [] as number[], count: 3 },
  ])("$name", ({ items, count }) => {
    const copy = [...items];
    const got = shuffleInPlace(copy, seededRandom(1), count);
    expect(got).toBe(copy);
    expect([...got].sort()).toEqual([...items].sort());
  });

  it("with a source that always answers 0 leaves the order as it was", () => {
    expect(shuffleInPlace([1, 2, 3], () => 0)).toEqual([1, 2, 3]);
  });
});

describe("uniformSample", () => {
  it.each([
    { name: "as many as asked", scores: [1, 2, 3, 4], count: 2, want: 2 },
    { name: "all when fewer than asked", scores: [1, 2], count: 5, want: 2 },
    { name: "nothing from nothing", scores: [], count: 1, want: 0 },
  ])("returns $name, distinct", ({ scores, count, want }) => {
    const got = keys(uniformSample(scoredEndpoints(scores), seededRandom(3), count));
    expect(got).toHaveLength(want);
    expect(new Set(got).size).toBe(want);
  });

  it("does not reorder its input", () => {
    const scored = scoredEndpoints([1, 2, 3]);
    const before = [...scored];
    uniformSample(scored, seededRandom(4), 2);
    expect(scored).toEqual(before);
  });
});
