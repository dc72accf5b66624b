import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { Picker, ProfileRunResult, ScoredEndpoint } from "../../../api/scheduling.js";
import { maxNumOfEndpoints, parameters } from "../../params.js";
import { shuffleInPlace } from "../random.js";

/** WEIGHTED_RANDOM_PICKER is the plugin type name. */
export const WEIGHTED_RANDOM_PICKER = "weighted-random-picker";

/**
 * WeightedRandomPicker samples endpoints with probability proportional to score, without
 * replacement (A-Res: key = U^(1/score), keep the largest keys). Endpoints scoring 0 are
 * chosen only after every positive one; when all score 0 the pick is uniform.
 */
export class WeightedRandomPicker implements Picker {
  readonly typedName: TypedName;

  constructor(
    name: string,
    readonly maxEndpoints: number,
    private readonly random: () => number,
  ) {
    this.typedName = { type: WEIGHTED_RANDOM_PICKER, name };
  }

  pick(_request: unknown, scored: readonly ScoredEndpoint[]): ProfileRunResult {
    if (!scored.some((s) => s.score > 0)) {
      const sample = shuffleInPlace([...scored], this.random, this.maxEndpoints);
      return { targetEndpoints: sample.slice(0, this.maxEndpoints).map((s) => s.endpoint) };
    }
    // Shuffle first so zero-key endpoints (score ≤ 0) fill remaining places in random order.
    const keyed = shuffleInPlace(
      scored.map((s) => ({ endpoint: s.endpoint, key: s.score > 0 ? this.random() ** (1 / s.score) : 0 })),
      this.random,
    );
    keyed.sort((a, b) => b.key - a.key);
    return { targetEndpoints: keyed.slice(0, this.maxEndpoints).map((k) => k.endpoint) };
  }
}

/** weightedRandomPickerType registers weighted-random-picker. */
export const weightedRandomPickerType: PluginTypeSpec<{ maxNumOfEndpoints: number }, EppPluginHandle> = {
  type: WEIGHTED_RANDOM_PICKER,
  description: "Picks endpoints at random with probability proportional to their score.",
  stability: "stable",
  extensionPoints: ["Picker"],
  parameters: parameters({ maxNumOfEndpoints }),
  create: (name, p, handle) => ok(new WeightedRandomPicker(name, p.maxNumOfEndpoints, handle.random)),
};
