import type { Endpoint } from "../../../api/endpoint.js";
import type { LlmRequest } from "../../../api/request.js";
import { minMaxScores } from "../min-max.js";
import { parameterlessScorerType, scorerClass } from "../scorer-type.js";

/** RUNNING_REQUESTS_SIZE_SCORER is the reference type name; RUNNING_REQUESTS_SCORER is the short alias. */
export const RUNNING_REQUESTS_SIZE_SCORER = "running-requests-size-scorer";
export const RUNNING_REQUESTS_SCORER = "running-requests-scorer";

/** runningRequestsScores is min-max normalised vllm:num_requests_running, inverted (like queue-scorer). */
export function runningRequestsScores(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
  return minMaxScores(endpoints, request.now, (m) => m.runningRequestsSize);
}

/** RunningRequestsSizeScorer prefers endpoints running fewer requests. */
export class RunningRequestsSizeScorer extends scorerClass(
  RUNNING_REQUESTS_SIZE_SCORER,
  "distribution",
  runningRequestsScores,
) {}

/** RunningRequestsScorer is the same scorer under its alias type name. */
export class RunningRequestsScorer extends scorerClass(
  RUNNING_REQUESTS_SCORER,
  "distribution",
  runningRequestsScores,
) {}

/** runningRequestsSizeScorerType registers running-requests-size-scorer (the reference name). */
export const runningRequestsSizeScorerType = parameterlessScorerType(
  RunningRequestsSizeScorer,
  "Scores endpoints by running requests: (max - r) / (max - min); all equal gives 1.",
);

/** runningRequestsScorerType registers running-requests-scorer, the same scorer under a shorter name. */
export const runningRequestsScorerType = parameterlessScorerType(
  RunningRequestsScorer,
  "Alias of running-requests-size-scorer.",
);
