import { describe, expect, it } from "vitest";
import { type CurvePoint, histogramQuantile, histogramQuantileBucket, percentile, throughputAtSlo } from "./stats.js";

describe("percentile", () => {
  it.each([
    { values: [], p: 50, want: undefined },
    { values: [7], p: 90, want: 7 },
    { values: [3, 1, 2], p: 50, want: 2 },
    { values: [1, 2, 3, 4], p: 50, want: 2.5 },
    { values: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], p: 90, want: 91 },
    { values: [5, 1], p: 0, want: 1 },
    { values: [5, 1], p: 100, want: 5 },
  ])("p$p of $values is $want", ({ values, p, want }) => {
    expect(percentile(values, p)).toBe(want);
  });
});

describe("histogramQuantile", () => {
  const inf = Number.POSITIVE_INFINITY;
  it.each([
    { name: "empty", q: 0.5, buckets: [], want: undefined },
    {
      name: "no observations",
      q: 0.5,
      buckets: [
        { le: 1, count: 0 },
        { le: inf, count: 0 },
      ],
      want: undefined,
    },
    {
      name: "linear inside the first bucket from 0",
      q: 0.5,
      buckets: [
        { le: 1, count: 10 },
        { le: inf, count: 10 },
      ],
      want: 0.5,
    },
    {
      name: "linear inside a later bucket",
      q: 0.9,
      buckets: [
        { le: 0.1, count: 8 },
        { le: 1, count: 10 },
        { le: inf, count: 10 },
      ],
      want: 0.55,
    },
    {
      name: "the +Inf bucket answers its lower bound",
      q: 0.9,
      buckets: [
        { le: 1, count: 2 },
        { le: 10, count: 4 },
        { le: inf, count: 10 },
      ],
      want: 10,
    },
    {
      name: "order of buckets does not matter",
      q: 0.5,
      buckets: [
        { le: inf, count: 4 },
        { le: 2, count: 4 },
        { le: 1, count: 0 },
      ],
      want: 1.5,
    },
  ])("$name", ({ q, buckets, want }) => {
    const got = histogramQuantile(q, buckets);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(want, 10);
  });
});

describe("histogramQuantileBucket", () => {
  const inf = Number.POSITIVE_INFINITY;
  it.each([
    { name: "empty", q: 0.9, buckets: [], want: undefined },
    {
      name: "first bucket starts at 0",
      q: 0.5,
      buckets: [
        { le: 1, count: 10 },
        { le: inf, count: 10 },
      ],
      want: { lower: 0, upper: 1 },
    },
    {
      name: "a middle bucket",
      q: 0.9,
      buckets: [
        { le: 0.1, count: 8 },
        { le: 1, count: 10 },
        { le: inf, count: 10 },
      ],
      want: { lower: 0.1, upper: 1 },
    },
    {
      name: "the +Inf bucket",
      q: 0.9,
      buckets: [
        { le: 10, count: 4 },
        { le: inf, count: 10 },
      ],
      want: { lower: 10, upper: inf },
    },
  ])("$name", ({ q, buckets, want }) => {
    expect(histogramQuantileBucket(q, buckets)).toEqual(want);
  });
});

describe("throughputAtSlo", () => {
  const pts = (...p: [number, number, number][]): CurvePoint[] =>
    p.map(([rate, throughput, ttftP90]) => ({ rate, throughput, ttftP90 }));
  it.each([
    { name: "no points", points: pts(), slo: 2, want: undefined },
    { name: "misses at the lowest rate", points: pts([4, 100, 3]), slo: 2, want: undefined },
    {
      name: "holds everywhere: lower bound",
      points: pts([4, 100, 1], [8, 200, 1.5]),
      slo: 2,
      want: { throughput: 200, capped: true },
    },
    {
      name: "interpolates across the crossing",
      points: pts([4, 100, 1], [8, 200, 3]),
      slo: 2,
      want: { throughput: 150, capped: false },
    },
    {
      name: "unsorted input, later recovery ignored",
      points: pts([12, 210, 1], [8, 200, 4], [4, 100, 1]),
      slo: 2,
      want: { throughput: 100 + (1 / 3) * 100, capped: false },
    },
    {
      name: "throughput falling past the knee is not extrapolated downwards",
      points: pts([4, 100, 1], [8, 90, 3]),
      slo: 2,
      want: { throughput: 100, capped: false },
    },
  ])("$name", ({ points, slo, want }) => {
    const got = throughputAtSlo(points, slo);
    if (want === undefined) expect(got).toBeUndefined();
    else {
      expect(got?.capped).toBe(want.capped);
      expect(got?.throughput).toBeCloseTo(want.throughput, 10);
    }
  });
});
