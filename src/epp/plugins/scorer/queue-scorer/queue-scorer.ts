import type { Endpoint } from "../../../api/endpoint.js";
import type { LlmRequest } from "../../../api/request.js";
import { minMaxScores } from "../min-max.js";
import { parameterlessScorerType, scorerClass } from "../scorer-type.js";

/** QUEUE_SCORER is the plugin type name. */
export const QUEUE_SCORER = "queue-scorer";

/** queueScores is min-max normalised vllm:num_requests_waiting, inverted (short queues score high). */
export function queueScores(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
  return minMaxScores(endpoints, request.now, (m) => m.waitingQueueSize);
}

/** QueueScorer prefers short waiting queues. */
export class QueueScorer extends scorerClass(QUEUE_SCORER, "distribution", queueScores) {}

/** queueScorerType registers queue-scorer. */
export const queueScorerType = parameterlessScorerType(
  QueueScorer,
  "Scores endpoints by waiting-queue length: (max - q) / (max - min); all equal gives 1.",
);
