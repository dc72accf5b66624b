import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type {
  ProfileHandler,
  ProfileRunResult,
  SchedulerProfileView,
  SchedulingResult,
} from "../../../api/scheduling.js";
import { noParameters } from "../../params.js";

/** SINGLE_PROFILE_HANDLER is the plugin type name. */
export const SINGLE_PROFILE_HANDLER = "single-profile-handler";

/**
 * SingleProfileHandler runs the one configured profile and makes it primary. The loader
 * refuses it with more than one profile.
 */
export class SingleProfileHandler implements ProfileHandler {
  readonly typedName: TypedName;

  constructor(name: string) {
    this.typedName = { type: SINGLE_PROFILE_HANDLER, name };
  }

  pickProfiles(
    _request: unknown,
    profiles: ReadonlyMap<string, SchedulerProfileView>,
    results: ReadonlyMap<string, ProfileRunResult | undefined>,
  ): readonly string[] {
    return [...profiles.keys()].filter((name) => !results.has(name));
  }

  processResults(
    _request: unknown,
    results: ReadonlyMap<string, ProfileRunResult | undefined>,
  ): SchedulingResult | undefined {
    if (results.size !== 1) return undefined;
    const [name, result] = results.entries().next().value!;
    if (!result) return undefined;
    return { profileResults: results, primaryProfileName: name };
  }
}

/** singleProfileHandlerType registers single-profile-handler. */
export const singleProfileHandlerType: PluginTypeSpec<Record<string, never>, EppPluginHandle> = {
  type: SINGLE_PROFILE_HANDLER,
  description: "Runs the single scheduling profile and makes its result primary.",
  stability: "stable",
  extensionPoints: ["ProfileHandler"],
  parameters: noParameters,
  create: (name) => ok(new SingleProfileHandler(name)),
};
