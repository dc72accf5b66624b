import type { ProfileRunResult, ScoredEndpoint } from "../../../api/scheduling.js";
import { CountedPicker, pickerType } from "../picker-type.js";
import { uniformSample } from "../random.js";

/** RANDOM_PICKER is the plugin type name. */
export const RANDOM_PICKER = "random-picker";

/** RandomPicker ignores scores and returns a uniform random sample of the candidates. */
export class RandomPicker extends CountedPicker {
  constructor(name: string, maxEndpoints: number, random: () => number) {
    super(RANDOM_PICKER, name, maxEndpoints, random);
  }

  pick(_request: unknown, scored: readonly ScoredEndpoint[]): ProfileRunResult {
    return { targetEndpoints: uniformSample(scored, this.random, this.maxEndpoints) };
  }
}

/** randomPickerType registers random-picker. */
export const randomPickerType = pickerType(
  RANDOM_PICKER,
  "Picks endpoints uniformly at random, ignoring scores.",
  (name, maxEndpoints, random) => new RandomPicker(name, maxEndpoints, random),
);
