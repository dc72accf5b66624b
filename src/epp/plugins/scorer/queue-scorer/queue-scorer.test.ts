import { describe, expect, it } from "vitest";
import { NOW, scoresFor, UNKNOWN_METRICS } from "../../../../../test/epp/support/scheduling.js";
import { QueueScorer } from "./queue-scorer.js";

describe("queue-scorer", () => {
  it.each([
    { name: "min-max normalised, inverted", queues: [0, 5, 10], want: [1, 0.5, 0] },
    { name: "all equal gives 1", queues: [3, 3, 3], want: [1, 1, 1] },
    { name: "single endpoint gives 1", queues: [42], want: [1] },
    { name: "two endpoints", queues: [2, 6], want: [1, 0] },
  ])("$name", ({ queues, want }) => {
    const got = scoresFor(
      new QueueScorer("q"),
      queues.map((waitingQueueSize) => ({ waitingQueueSize })),
    );
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
  });

  it("scores endpoints with unknown metrics 0, without moving the range of the others", () => {
    expect(
      scoresFor(new QueueScorer("q"), [{ waitingQueueSize: 4 }, UNKNOWN_METRICS, { waitingQueueSize: 8 }]),
    ).toEqual([1, 0, 0]);
  });

  it("treats metrics older than the staleness threshold as unknown", () => {
    const fresh = scoresFor(new QueueScorer("q"), [
      { waitingQueueSize: 1 },
      { waitingQueueSize: 2, updatedAt: NOW - 5000 },
    ]);
    expect(fresh).toEqual([1, 0]);
  });

  it("is a distribution scorer named by its type", () => {
    expect(new QueueScorer("q")).toMatchObject({
      typedName: { type: "queue-scorer", name: "q" },
      category: "distribution",
    });
  });
});
