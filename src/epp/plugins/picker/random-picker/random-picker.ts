import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { Picker, ProfileRunResult, ScoredEndpoint } from "../../../api/scheduling.js";
import { maxNumOfEndpoints, parameters } from "../../params.js";
import { shuffleInPlace } from "../random.js";

/** RANDOM_PICKER is the plugin type name. */
export const RANDOM_PICKER = "random-picker";

/** RandomPicker ignores scores and returns a uniform random sample of the candidates. */
export class RandomPicker implements Picker {
  readonly typedName: TypedName;

  constructor(
    name: string,
    readonly maxEndpoints: number,
    private readonly random: () => number,
  ) {
    this.typedName = { type: RANDOM_PICKER, name };
  }

  pick(_request: unknown, scored: readonly ScoredEndpoint[]): ProfileRunResult {
    const sample = shuffleInPlace([...scored], this.random, this.maxEndpoints);
    return { targetEndpoints: sample.slice(0, this.maxEndpoints).map((s) => s.endpoint) };
  }
}

/** randomPickerType registers random-picker. */
export const randomPickerType: PluginTypeSpec<{ maxNumOfEndpoints: number }, EppPluginHandle> = {
  type: RANDOM_PICKER,
  description: "Picks endpoints uniformly at random, ignoring scores.",
  stability: "stable",
  extensionPoints: ["Picker"],
  parameters: parameters({ maxNumOfEndpoints }),
  create: (name, p, handle) => ok(new RandomPicker(name, p.maxNumOfEndpoints, handle.random)),
};
