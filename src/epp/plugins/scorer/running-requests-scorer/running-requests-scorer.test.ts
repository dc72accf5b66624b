import { describe, expect, it } from "vitest";
import { scoresFor, UNKNOWN_METRICS } from "../../../../../test/epp/support/scheduling.js";
import {
  RunningRequestsScorer,
  RunningRequestsSizeScorer,
  runningRequestsScorerType,
  runningRequestsSizeScorerType,
} from "./running-requests-scorer.js";

describe("running-requests-size-scorer", () => {
  it.each([
    { name: "min-max normalised, inverted", running: [1, 3, 5], want: [1, 0.5, 0] },
    { name: "all equal gives 1", running: [0, 0], want: [1, 1] },
  ])("$name", ({ running, want }) => {
    const scorer = new RunningRequestsSizeScorer("r");
    const got = scoresFor(
      scorer,
      running.map((runningRequestsSize) => ({ runningRequestsSize })),
    );
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
  });

  it("scores unknown metrics 0", () => {
    expect(scoresFor(new RunningRequestsSizeScorer("r"), [UNKNOWN_METRICS, { runningRequestsSize: 2 }])).toEqual([
      0, 1,
    ]);
  });

  it("scores alike under the alias running-requests-scorer, which keeps its own type name", () => {
    const metrics = [{ runningRequestsSize: 1 }, { runningRequestsSize: 4 }, UNKNOWN_METRICS];
    const alias = new RunningRequestsScorer("a");
    expect(scoresFor(alias, metrics)).toEqual(scoresFor(new RunningRequestsSizeScorer("r"), metrics));
    expect(alias.typedName).toEqual({ type: "running-requests-scorer", name: "a" });
  });

  it.each([runningRequestsSizeScorerType, runningRequestsScorerType].map((spec) => [spec.type, spec] as const))(
    "%s builds a scorer of that type",
    (type, spec) => {
      const created = spec.create("s", {}, undefined as never);
      expect(created.ok && created.value.typedName).toEqual({ type, name: "s" });
    },
  );
});
