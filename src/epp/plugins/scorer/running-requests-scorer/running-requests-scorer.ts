import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { LlmRequest } from "../../../api/request.js";
import type { Scorer } from "../../../api/scheduling.js";
import { noParameters } from "../../params.js";
import { minMaxScores } from "../min-max.js";

/** RUNNING_REQUESTS_SIZE_SCORER is the reference type name; RUNNING_REQUESTS_SCORER is the short alias. */
export const RUNNING_REQUESTS_SIZE_SCORER = "running-requests-size-scorer";
export const RUNNING_REQUESTS_SCORER = "running-requests-scorer";

/** RunningRequestsScorer prefers endpoints running fewer requests (min-max, like queue-scorer). */
export class RunningRequestsScorer implements Scorer {
  readonly typedName: TypedName;
  readonly category = "distribution" as const;

  constructor(name: string, type: string) {
    this.typedName = { type, name };
  }

  score(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
    return minMaxScores(endpoints, request.now, (m) => m.runningRequestsSize);
  }
}

function spec(type: string, description: string): PluginTypeSpec<Record<string, never>, EppPluginHandle> {
  return {
    type,
    description,
    stability: "stable",
    extensionPoints: ["Scorer"],
    parameters: noParameters,
    create: (name) => ok(new RunningRequestsScorer(name, type)),
  };
}

/** runningRequestsSizeScorerType registers running-requests-size-scorer (the reference name). */
export const runningRequestsSizeScorerType = spec(
  RUNNING_REQUESTS_SIZE_SCORER,
  "Scores endpoints by running requests: (max - r) / (max - min); all equal gives 1.",
);

/** runningRequestsScorerType registers running-requests-scorer, the same scorer under a shorter name. */
export const runningRequestsScorerType = spec(RUNNING_REQUESTS_SCORER, "Alias of running-requests-size-scorer.");
