import type { Endpoint } from "../../../api/endpoint.js";
import type { ProfileRunResult, ScoredEndpoint } from "../../../api/scheduling.js";
import { CountedPicker, pickerType } from "../picker-type.js";
import { shuffleInPlace } from "../random.js";

/** MAX_SCORE_PICKER is the plugin type name. */
export const MAX_SCORE_PICKER = "max-score-picker";

/**
 * MaxScorePicker returns the highest-scored endpoints, ties broken uniformly at random (the
 * reference shuffles, then stable-sorts). For one endpoint it does that in a single pass with
 * reservoir sampling over the tied maxima instead of sorting every candidate.
 */
export class MaxScorePicker extends CountedPicker {
  constructor(name: string, maxEndpoints: number, random: () => number) {
    super(MAX_SCORE_PICKER, name, maxEndpoints, random);
  }

  pick(_request: unknown, scored: readonly ScoredEndpoint[]): ProfileRunResult {
    if (scored.length === 0) return { targetEndpoints: [] };
    if (this.maxEndpoints === 1) return { targetEndpoints: [this.pickOne(scored)] };
    const order = shuffleInPlace([...scored], this.random);
    order.sort((a, b) => b.score - a.score); // Array.prototype.sort is stable
    return { targetEndpoints: order.slice(0, this.maxEndpoints).map((s) => s.endpoint) };
  }

  private pickOne(scored: readonly ScoredEndpoint[]): Endpoint {
    let best = scored[0]!;
    let ties = 1;
    for (let i = 1; i < scored.length; i++) {
      const s = scored[i]!;
      if (s.score > best.score) {
        best = s;
        ties = 1;
      } else if (s.score === best.score) {
        ties++;
        if (this.random() * ties < 1) best = s;
      }
    }
    return best.endpoint;
  }
}

/** maxScorePickerType registers max-score-picker. */
export const maxScorePickerType = pickerType(
  MAX_SCORE_PICKER,
  "Picks the highest-scored endpoints; ties are broken at random.",
  (name, maxEndpoints, random) => new MaxScorePicker(name, maxEndpoints, random),
);
