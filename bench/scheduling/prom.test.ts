import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { histogramsBy, parseSamples, total, valuesBy } from "./prom.js";
import { FC_QUEUE_DURATION, FC_QUEUE_SIZE } from "./runner.js";

const text = readFileSync(
  new URL("../../test/fixtures/scheduling/epp-flow-control-metrics.txt", import.meta.url),
  "utf8",
);
const samples = parseSamples(text);
const inf = Number.POSITIVE_INFINITY;

describe("parseSamples", () => {
  it("keeps labels of histogram series and unescapes label values", () => {
    expect(samples.filter((s) => s.name === `${FC_QUEUE_DURATION}_count`)).toEqual([
      { name: `${FC_QUEUE_DURATION}_count`, labels: { priority: "10", outcome: "dispatched" }, value: 10 },
      { name: `${FC_QUEUE_DURATION}_count`, labels: { priority: "-1", outcome: "dispatched" }, value: 4 },
      { name: `${FC_QUEUE_DURATION}_count`, labels: { priority: "-1", outcome: "cancelled" }, value: 6 },
    ]);
    expect(samples.filter((s) => s.name === "odd_label_values")).toEqual([
      { name: "odd_label_values", labels: { path: 'a"b\\c', empty: "" }, value: 1.5 },
      { name: "odd_label_values", labels: { path: "x,y=z" }, value: inf },
    ]);
  });

  it.each([
    { line: "# TYPE x gauge", want: [] },
    { line: "", want: [] },
    { line: "x 1", want: [{ name: "x", labels: {}, value: 1 }] },
    { line: "x{} 2 1700000000000", want: [{ name: "x", labels: {}, value: 2 }] },
    { line: 'x{a="1"} NaN', want: [] },
    { line: "x{a=1} 3", want: [] },
    { line: "not a sample", want: [] },
  ])("line $line", ({ line, want }) => {
    expect(parseSamples(line)).toEqual(want);
  });
});

describe("histogramsBy", () => {
  it("sums every outcome per priority", () => {
    const byPriority = histogramsBy(samples, FC_QUEUE_DURATION, "priority");
    expect([...byPriority.keys()].sort()).toEqual(["-1", "10"]);
    expect(byPriority.get("-1")).toEqual({
      buckets: [
        { le: 0.1, count: 0 },
        { le: 1, count: 2 },
        { le: inf, count: 10 },
      ],
      count: 10,
      sum: 69.5,
    });
  });

  it("filters series before summing", () => {
    const dispatched = histogramsBy(samples, FC_QUEUE_DURATION, "priority", (l) => l["outcome"] === "dispatched");
    expect(dispatched.get("-1")?.count).toBe(4);
    const outcomes = histogramsBy(samples, FC_QUEUE_DURATION, "outcome", (l) => l["priority"] === "-1");
    expect(Object.fromEntries([...outcomes].map(([k, v]) => [k, v.count]))).toEqual({ dispatched: 4, cancelled: 6 });
  });
});

describe("valuesBy and total", () => {
  it("reads a gauge by label", () => {
    expect(Object.fromEntries(valuesBy(samples, FC_QUEUE_SIZE, "priority"))).toEqual({ "0": 4, "-1": 17, "10": 0 });
    expect(total(samples, FC_QUEUE_SIZE)).toBe(21);
    expect(total(samples, "absent")).toBe(0);
  });
});
