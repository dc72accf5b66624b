import type { Endpoint, EndpointMetrics } from "../../../api/endpoint.js";
import type { LlmRequest } from "../../../api/request.js";
import { parameterlessScorerType, perEndpointScores, scorerClass } from "../scorer-type.js";

/** LORA_AFFINITY_SCORER is the plugin type name. */
export const LORA_AFFINITY_SCORER = "lora-affinity-scorer";

/** Scores of the reference: adapter running, room to load it, adapter waiting, none of these. */
export const LORA_ACTIVE = 1.0;
export const LORA_CAPACITY = 0.8;
export const LORA_WAITING = 0.6;

/**
 * loraAffinity rates one endpoint for adapter `target` (vllm:lora_requests_info). The capacity
 * is max_lora, or the endpoint's declared maxLoras when the server reports none.
 */
export function loraAffinity(target: string, m: EndpointMetrics, endpoint: Endpoint): number {
  const capacity = m.maxActiveModels > 0 ? m.maxActiveModels : (endpoint.metadata.maxLoras ?? 0);
  if (m.activeModels.has(target)) return LORA_ACTIVE;
  if (m.activeModels.size + m.waitingModels.size < capacity) return LORA_CAPACITY;
  if (m.waitingModels.has(target)) return LORA_WAITING;
  return 0;
}

/** loraAffinityScores rates every endpoint for the request's target model; unknown metrics score 0. */
export function loraAffinityScores(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
  const target = request.targetModel;
  return perEndpointScores(request, endpoints, (m, e) => loraAffinity(target, m, e));
}

/**
 * LoraAffinityScorer prefers endpoints that already run the target LoRA adapter, then those with
 * room to load another adapter, then those where it is queued.
 */
export class LoraAffinityScorer extends scorerClass(LORA_AFFINITY_SCORER, "affinity", loraAffinityScores) {}

/** loraAffinityScorerType registers lora-affinity-scorer. */
export const loraAffinityScorerType = parameterlessScorerType(
  LoraAffinityScorer,
  "Scores LoRA affinity: 1 adapter running, 0.8 room to load it, 0.6 adapter waiting, else 0.",
);
