import { z } from "zod";
import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { EppPluginHandle } from "../../api/handle.js";
import type { Picker, ProfileRunResult, ScoredEndpoint } from "../../api/scheduling.js";
import { parameters } from "../params.js";

/** maxNumOfEndpoints is the pickers' shared parameter (how many endpoints to return, primary first). */
export const maxNumOfEndpoints = z.number().int().min(1, "maxNumOfEndpoints must be at least 1").default(1);

/** PickerParameters are the parsed parameters every built-in picker takes. */
export interface PickerParameters {
  readonly maxNumOfEndpoints: number;
}

const pickerParameters = parameters({ maxNumOfEndpoints });

/**
 * CountedPicker is what the built-in pickers share: a typed name, how many endpoints to return
 * (`maxEndpoints`, primary first) and an injectable random source for tie-breaks and sampling.
 */
export abstract class CountedPicker implements Picker {
  readonly typedName: TypedName;

  constructor(
    type: string,
    name: string,
    readonly maxEndpoints: number,
    protected readonly random: () => number,
  ) {
    this.typedName = { type, name };
  }

  abstract pick(request: unknown, scored: readonly ScoredEndpoint[]): ProfileRunResult;
}

/** pickerType registers a stable picker type whose only parameter is maxNumOfEndpoints. */
export function pickerType(
  type: string,
  description: string,
  create: (name: string, maxEndpoints: number, random: () => number) => Picker,
): PluginTypeSpec<PickerParameters, EppPluginHandle> {
  return {
    type,
    description,
    stability: "stable",
    extensionPoints: ["Picker"],
    parameters: pickerParameters,
    create: (name, p, handle) => ok(create(name, p.maxNumOfEndpoints, handle.random)),
  };
}
