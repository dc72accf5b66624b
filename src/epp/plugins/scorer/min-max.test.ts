import { describe, expect, it } from "vitest";
import { endpoint, type MetricsInit, NOW } from "../../../../test/epp/support/scheduling.js";
import { minMaxScores } from "./min-max.js";

describe("minMaxScores", () => {
  it.each([
    { name: "least loaded 1, most loaded 0, linear between", values: [2, 4, 6], want: [1, 0.5, 0] },
    { name: "all equal gives 1", values: [5, 5], want: [1, 1] },
    { name: "unknown metrics score 0 and do not move the range", values: [null, 1, 3], want: [0, 1, 0] },
    { name: "nothing known", values: [null, null], want: [0, 0] },
    { name: "no endpoints", values: [], want: [] },
  ] as { name: string; values: (number | null)[]; want: number[] }[])("$name", ({ values, want }) => {
    const endpoints = values.map((v, i) =>
      endpoint(i + 1, v === null ? null : ({ waitingQueueSize: v } as MetricsInit)),
    );
    expect(Array.from(minMaxScores(endpoints, NOW, (m) => m.waitingQueueSize))).toEqual(want);
  });
});
