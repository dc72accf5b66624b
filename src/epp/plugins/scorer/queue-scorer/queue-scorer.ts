import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { LlmRequest } from "../../../api/request.js";
import type { Scorer } from "../../../api/scheduling.js";
import { noParameters } from "../../params.js";
import { minMaxScores } from "../min-max.js";

/** QUEUE_SCORER is the plugin type name. */
export const QUEUE_SCORER = "queue-scorer";

/** QueueScorer prefers short waiting queues: min-max normalised vllm:num_requests_waiting, inverted. */
export class QueueScorer implements Scorer {
  readonly typedName: TypedName;
  readonly category = "distribution" as const;

  constructor(name: string) {
    this.typedName = { type: QUEUE_SCORER, name };
  }

  score(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
    return minMaxScores(endpoints, request.now, (m) => m.waitingQueueSize);
  }
}

/** queueScorerType registers queue-scorer. */
export const queueScorerType: PluginTypeSpec<Record<string, never>, EppPluginHandle> = {
  type: QUEUE_SCORER,
  description: "Scores endpoints by waiting-queue length: (max - q) / (max - min); all equal gives 1.",
  stability: "stable",
  extensionPoints: ["Scorer"],
  parameters: noParameters,
  create: (name) => ok(new QueueScorer(name)),
};
