import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { Picker, ProfileRunResult, ScoredEndpoint } from "../../../api/scheduling.js";
import { maxNumOfEndpoints, parameters } from "../../params.js";
import { shuffleInPlace } from "../random.js";

/** MAX_SCORE_PICKER is the plugin type name. */
export const MAX_SCORE_PICKER = "max-score-picker";

const schema = parameters({ maxNumOfEndpoints });

/**
 * MaxScorePicker returns the highest-scored endpoints, ties broken uniformly at random (the
 * reference shuffles, then stable-sorts). For one endpoint it does that in a single pass with
 * reservoir sampling over the tied maxima instead of sorting every candidate.
 */
export class MaxScorePicker implements Picker {
  readonly typedName: TypedName;

  constructor(
    name: string,
    readonly maxEndpoints: number,
    private readonly random: () => number,
  ) {
    this.typedName = { type: MAX_SCORE_PICKER, name };
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
export const maxScorePickerType: PluginTypeSpec<{ maxNumOfEndpoints: number }, EppPluginHandle> = {
  type: MAX_SCORE_PICKER,
  description: "Picks the highest-scored endpoints; ties are broken at random.",
  stability: "stable",
  extensionPoints: ["Picker"],
  parameters: schema,
  create: (name, p, handle) => ok(new MaxScorePicker(name, p.maxNumOfEndpoints, handle.random)),
};
