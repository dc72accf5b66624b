import type { ProfileRunResult, ScoredEndpoint } from "../../../api/scheduling.js";
import { CountedPicker, pickerType } from "../picker-type.js";
import { shuffleInPlace, uniformSample } from "../random.js";

/** WEIGHTED_RANDOM_PICKER is the plugin type name. */
export const WEIGHTED_RANDOM_PICKER = "weighted-random-picker";

/**
 * WeightedRandomPicker samples endpoints with probability proportional to score, without
 * replacement (A-Res: key = U^(1/score), keep the largest keys). Endpoints scoring 0 are
 * chosen only after every positive one; when all score 0 the pick is uniform.
 */
export class WeightedRandomPicker extends CountedPicker {
  constructor(name: string, maxEndpoints: number, random: () => number) {
    super(WEIGHTED_RANDOM_PICKER, name, maxEndpoints, random);
  }

  pick(_request: unknown, scored: readonly ScoredEndpoint[]): ProfileRunResult {
    if (!scored.some((s) => s.score > 0)) {
      return { targetEndpoints: uniformSample(scored, this.random, this.maxEndpoints) };
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
export const weightedRandomPickerType = pickerType(
  WEIGHTED_RANDOM_PICKER,
  "Picks endpoints at random with probability proportional to their score.",
  (name, maxEndpoints, random) => new WeightedRandomPicker(name, maxEndpoints, random),
);
