import { describe, expect, it } from "vitest";
import type { Plugin } from "../../plugin/plugin.js";
import type { Endpoint } from "../api/endpoint.js";
import type { LlmRequest } from "../api/request.js";
import type { Filter, Scorer } from "../api/scheduling.js";
import { ServedModelFilter } from "../plugins/filter/model-filter/model-filter.js";
import { MaxScorePicker } from "../plugins/picker/max-score-picker/max-score-picker.js";
import { SingleProfileHandler } from "../plugins/profile-handler/single-profile-handler/single-profile-handler.js";
import { QueueScorer } from "../plugins/scorer/queue-scorer/queue-scorer.js";
import { clamp01, Scheduler, type SchedulerProfile } from "./scheduler.js";
import { seededRandom } from "../../../test/epp/support/random.js";
import { endpoint, inferenceRequest, keys } from "../../../test/epp/support/scheduling.js";

/** FixedScorer returns preset scores (test double for the framework, not for a product plugin). */
class FixedScorer implements Scorer {
  readonly typedName = { type: "fixed-scorer", name: "fixed" };
  readonly category = "balance" as const;
  constructor(private readonly values: number[]) {}
  score(_r: LlmRequest, endpoints: readonly Endpoint[]): number[] {
    return endpoints.map((_, i) => this.values[i] ?? 0);
  }
}

/** DrainingFilter removes everything. */
class DrainingFilter implements Filter {
  readonly typedName = { type: "draining-filter", name: "drain" };
  filter(): Endpoint[] {
    return [];
  }
}

function scheduler(
  profile: Omit<SchedulerProfile, "name" | "picker"> & { picker?: SchedulerProfile["picker"] },
  timer?: (p: string, plugin: Plugin) => void,
) {
  const full: SchedulerProfile = {
    name: "default",
    picker: new MaxScorePicker("picker", 1, seededRandom(1)),
    ...profile,
  };
  return new Scheduler(
    new SingleProfileHandler("h"),
    new Map([["default", full]]),
    timer ? (plugin, p) => ({ observe: () => timer(p, plugin) }) : undefined,
  );
}

describe("clamp01", () => {
  it.each([
    [-0.5, 0],
    [0, 0],
    [0.3, 0.3],
    [1, 1],
    [1.7, 1],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 1],
  ])("%d → %d", (v, want) => expect(clamp01(v)).toBe(want));
});

describe("Scheduler", () => {
  const three = () => [endpoint(1), endpoint(2), endpoint(3)];

  it.each([
    {
      name: "weights are summed, not normalised",
      scorers: [
        { scorer: new FixedScorer([1, 0, 0.5]), weight: 1 },
        { scorer: new FixedScorer([0, 0.6, 0.5]), weight: 2 },
      ],
      // totals 1, 1.2, 1.5
      want: "10.0.0.3:8000",
    },
    {
      name: "scores outside [0,1] are clamped before weighting",
      scorers: [{ scorer: new FixedScorer([7, 0.9, Number.NaN]), weight: 1 }],
      // totals 1 (clamped), 0.9, 0
      want: "10.0.0.1:8000",
    },
    {
      name: "negative scores count as 0",
      scorers: [{ scorer: new FixedScorer([-3, 0.1, 0]), weight: 1 }],
      want: "10.0.0.2:8000",
    },
    {
      name: "a weight of 0 switches a scorer off",
      scorers: [
        { scorer: new FixedScorer([1, 0, 0]), weight: 0 },
        { scorer: new FixedScorer([0, 0, 1]), weight: 1 },
      ],
      want: "10.0.0.3:8000",
    },
  ])("$name", ({ scorers, want }) => {
    const result = scheduler({ filters: [], scorers }).schedule(inferenceRequest(), three());
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.primaryProfileName).toBe("default");
    expect(keys(result.value.profileResults.get("default")!.targetEndpoints)).toEqual([want]);
  });

  it("runs filters before scoring: the filtered-out best endpoint is never picked", () => {
    const all = [
      endpoint(1, { waitingQueueSize: 0 }, { models: ["other"] }),
      endpoint(2, { waitingQueueSize: 3 }),
      endpoint(3, { waitingQueueSize: 9 }),
    ];
    const result = scheduler({
      filters: [new ServedModelFilter("f")],
      scorers: [{ scorer: new QueueScorer("q"), weight: 1 }],
    }).schedule(inferenceRequest({ targetModel: "m1" }), all);
    expect(result.ok && keys(result.value.profileResults.get("default")!.targetEndpoints)).toEqual(["10.0.0.2:8000"]);
  });

  it.each([
    {
      name: "with the filter's own outcome",
      filter: new ServedModelFilter("f"),
      drained: { code: "ServiceUnavailable", reason: "model_not_served" },
    },
    { name: "with no outcome (the caller answers 429)", filter: new DrainingFilter(), drained: undefined },
  ])("fails when a filter drains every candidate, $name", ({ filter, drained }) => {
    const result = scheduler({ filters: [filter], scorers: [] }).schedule(inferenceRequest({ targetModel: "x" }), [
      endpoint(1, {}, { models: ["y"] }),
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    if (drained) expect(result.error.drained).toMatchObject(drained);
    else expect(result.error.drained).toBeUndefined();
  });

  it("times every plugin call with its extension point", () => {
    const seen: string[] = [];
    const s = scheduler(
      { filters: [new ServedModelFilter("f")], scorers: [{ scorer: new QueueScorer("q"), weight: 1 }] },
      (p, plugin) => seen.push(`${p}:${plugin.typedName.type}`),
    );
    s.schedule(inferenceRequest(), three());
    expect(seen).toEqual([
      "ProfileHandler:single-profile-handler",
      "Filter:model-filter",
      "Scorer:queue-scorer",
      "Picker:max-score-picker",
      "ProfileHandler:single-profile-handler",
      "ProfileHandler:single-profile-handler",
    ]);
  });
});
